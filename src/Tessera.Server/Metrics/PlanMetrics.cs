using System.Globalization;
using System.Text;
using Tessera.Runtime.Placement;

namespace Tessera.Server.Metrics;

/// <summary>The current placement in the Prometheus text format: per device the layers, weight and KV bytes it holds; the predicted speed.</summary>
internal static class PlanMetrics
{
    /// <summary>Experts per layer listed in the metrics (the most selected).</summary>
    private const int TopExperts = 4;

    /// <summary>MoE routing: the most selected experts of each layer with their counts, and each layer's entropy.</summary>
    public static void WriteExperts(StringBuilder text, Tessera.Models.Experts.ExpertStatistics stats)
    {
        text.Append("# HELP tessera_moe_expert_selections_total Tokens routed to the layer's most selected experts.\n# TYPE tessera_moe_expert_selections_total counter\n");
        for (int layer = 0; layer < stats.LayerCount; layer++)
        {
            foreach (var (expert, count) in stats.Top(layer, TopExperts))
                text.Append(CultureInfo.InvariantCulture, $"tessera_moe_expert_selections_total{{layer=\"{layer}\",expert=\"{expert}\"}} {count}\n");
        }
        text.Append("# HELP tessera_moe_routing_entropy_bits Entropy of the layer's expert choices (log2 of the expert count when uniform).\n# TYPE tessera_moe_routing_entropy_bits gauge\n");
        for (int layer = 0; layer < stats.LayerCount; layer++)
            text.Append(CultureInfo.InvariantCulture, $"tessera_moe_routing_entropy_bits{{layer=\"{layer}\"}} {stats.Entropy(layer):G6}\n");
    }

    /// <summary>The expert memory tier: hot experts per layer, what each choice found, read-aheads and moves.</summary>
    public static void WriteExpertTier(StringBuilder text, Runtime.Experts.ExpertTier tier)
    {
        var c = CultureInfo.InvariantCulture;
        text.Append(c, $"# HELP tessera_moe_hot_experts Experts per MoE layer the memory tier keeps resident.\n# TYPE tessera_moe_hot_experts gauge\ntessera_moe_hot_experts {tier.Plan.HotPerLayer}\n");
        text.Append("# HELP tessera_moe_expert_choices_total Expert choices by where the expert was: resident, read ahead, or missed.\n# TYPE tessera_moe_expert_choices_total counter\n");
        text.Append(c, $"tessera_moe_expert_choices_total{{tier=\"resident\"}} {tier.Hits}\n");
        text.Append(c, $"tessera_moe_expert_choices_total{{tier=\"read_ahead\"}} {tier.PrefetchHits}\n");
        text.Append(c, $"tessera_moe_expert_choices_total{{tier=\"missed\"}} {tier.Misses}\n");
        text.Append(c, $"# HELP tessera_moe_expert_moves_total Experts moved between tiers by re-plans.\n# TYPE tessera_moe_expert_moves_total counter\ntessera_moe_expert_moves_total {tier.Moves}\n");
    }

    /// <summary>Hot experts on an accelerator: copies per layer, their bytes, and where the choices ran.</summary>
    public static void WriteDeviceExperts(StringBuilder text, Tessera.Models.Experts.DeviceExperts experts)
    {
        var c = CultureInfo.InvariantCulture;
        string device = experts.Device.Name;
        text.Append(c, $"# HELP tessera_moe_device_hot_experts Experts per MoE layer with a copy on the accelerator.\n# TYPE tessera_moe_device_hot_experts gauge\ntessera_moe_device_hot_experts{{device=\"{device}\"}} {experts.HotPerLayer}\n");
        text.Append(c, $"# HELP tessera_moe_device_expert_bytes Accelerator memory the expert copies take.\n# TYPE tessera_moe_device_expert_bytes gauge\ntessera_moe_device_expert_bytes{{device=\"{device}\"}} {experts.ResidentBytes}\n");
        text.Append("# HELP tessera_moe_device_choices_total Expert choices computed on the accelerator or on the CPU.\n# TYPE tessera_moe_device_choices_total counter\n");
        text.Append(c, $"tessera_moe_device_choices_total{{device=\"{device}\",on=\"device\"}} {experts.DeviceChoices}\n");
        text.Append(c, $"tessera_moe_device_choices_total{{device=\"{device}\",on=\"cpu\"}} {experts.HostChoices}\n");
    }

    public static void WriteTo(StringBuilder text, ExecutionPlan plan)
    {
        var a = plan.Assignment;
        Family(text, "tessera_device_layers", "Layers whose attention runs on the device.", plan, d => a.Attention.Count(x => x == d));
        Family(text, "tessera_device_weight_bytes", "Weight bytes placed on the device.", plan, d => plan.WeightBytes.GetValueOrDefault(d));
        Family(text, "tessera_device_kv_bytes", "KV cache bytes on the device.", plan, d => plan.KvBytes.GetValueOrDefault(d));
        Family(text, "tessera_device_output_head", "1 when the device runs the output head.", plan, d => a.Head == d ? 1 : 0);
        var pools = plan.Devices.OfType<Tessera.Backends.OpenCL.OpenClDevice>().Where(d => !d.Failed).ToList();
        if (pools.Count > 0)
        {
            Pool(text, "tessera_device_pool_reserved_bytes", "Device memory the pool has reserved in pages.", pools, p => p.BytesReserved);
            Pool(text, "tessera_device_pool_live_bytes", "Device memory handed out by the pool.", pools, p => p.BytesLive);
            Pool(text, "tessera_device_pool_fragmentation", "1 - largest free range / all free bytes of the pool.", pools, p => p.Fragmentation);
        }
        double predicted = double.IsFinite(plan.PredictedTokensPerSecond) ? plan.PredictedTokensPerSecond : 0;
        text.Append(CultureInfo.InvariantCulture,
            $"# HELP tessera_plan_predicted_tokens_per_second Decode speed the planner predicted for the placement (0: not planned).\n# TYPE tessera_plan_predicted_tokens_per_second gauge\ntessera_plan_predicted_tokens_per_second {predicted}\n");
    }

    private static void Pool(StringBuilder text, string name, string help, List<Tessera.Backends.OpenCL.OpenClDevice> devices,
        Func<Tessera.Backends.OpenCL.OpenClPoolStatistics, double> value)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n");
        foreach (var device in devices)
            text.Append(CultureInfo.InvariantCulture, $"{name}{{device=\"{device.Name}\"}} {value(device.PoolStatistics)}\n");
    }

    private static void Family(StringBuilder text, string name, string help, ExecutionPlan plan, Func<Tessera.Devices.ComputeDevice, double> value)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n");
        foreach (var device in plan.Devices)
            text.Append(CultureInfo.InvariantCulture, $"{name}{{device=\"{device.Name}\"}} {value(device)}\n");
    }
}
