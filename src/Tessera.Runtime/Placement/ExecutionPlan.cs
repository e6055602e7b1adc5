using System.Globalization;
using System.Text;
using Tessera.Devices;
using Tessera.Models.Placement;

namespace Tessera.Runtime.Placement;

/// <summary>
/// The planner's decision: which device runs each part, the bytes it puts on each device, the predicted decode speed,
/// and why (notes a user reads with `--verbose`, in `/metrics` and in `/v1/models`).
/// </summary>
public sealed record ExecutionPlan
{
    public required LayerAssignment Assignment { get; init; }
    public required string Request { get; init; }
    public required double PredictedTokensPerSecond { get; init; }
    public required IReadOnlyDictionary<ComputeDevice, long> WeightBytes { get; init; }
    public required IReadOnlyDictionary<ComputeDevice, long> KvBytes { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>Every device the plan considered, used or not (a failed one stays listed, holding nothing).</summary>
    public required IReadOnlyList<ComputeDevice> Devices { get; init; }

    /// <summary>The plan that runs part i of <paramref name="parts"/> on perPart[i], with the weight and KV bytes that
    /// puts on each of <paramref name="devices"/>.</summary>
    public static ExecutionPlan For(IReadOnlyList<ModelPart> parts, IReadOnlyList<ComputeDevice> perPart, IReadOnlyList<ComputeDevice> devices,
        string request, double predictedTokensPerSecond, IReadOnlyList<string> notes, long kvLayerBytes)
    {
        var assignment = ModelPart.Assignment(perPart);
        return new ExecutionPlan
        {
            Assignment = assignment,
            Devices = devices,
            Request = request,
            PredictedTokensPerSecond = predictedTokensPerSecond,
            WeightBytes = devices.ToDictionary(d => d, d => Enumerable.Range(0, parts.Count).Where(i => perPart[i] == d).Sum(i => parts[i].StoredBytes(d))),
            KvBytes = devices.ToDictionary(d => d, d => assignment.Attention.Count(a => a == d) * kvLayerBytes),
            Notes = notes,
        };
    }

    /// <summary>Layers whose attention and feed-forward both run on <paramref name="device"/>, and parts split off.</summary>
    public string LayersOn(ComputeDevice device)
    {
        var parts = new List<string>();
        var whole = Enumerable.Range(0, Assignment.LayerCount).Where(i => Assignment.Attention[i] == device && Assignment.FeedForward[i] == device).ToList();
        if (whole.Count > 0)
            parts.Add("layers " + Ranges(whole));
        var attention = Enumerable.Range(0, Assignment.LayerCount).Where(i => Assignment.Attention[i] == device && Assignment.FeedForward[i] != device).ToList();
        if (attention.Count > 0)
            parts.Add("attention of " + Ranges(attention));
        var ffn = Enumerable.Range(0, Assignment.LayerCount).Where(i => Assignment.FeedForward[i] == device && Assignment.Attention[i] != device).ToList();
        if (ffn.Count > 0)
            parts.Add("feed-forward of " + Ranges(ffn));
        if (Assignment.Head == device)
            parts.Add("output head");
        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }

    /// <summary>Layers fully or partly on devices other than the CPU.</summary>
    public int AcceleratedLayers => Enumerable.Range(0, Assignment.LayerCount)
        .Count(i => Assignment.Attention[i].Kind != DeviceKind.Cpu || Assignment.FeedForward[i].Kind != DeviceKind.Cpu);

    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"placement ({Request}): predicted {PredictedTokensPerSecond:F1} tokens/s generation\n");
        foreach (var device in Devices)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  {device.Name,-8} {(device.Failed ? "(failed) " : "")}{LayersOn(device)}; weights {Mib(WeightBytes.GetValueOrDefault(device))} MiB, KV {Mib(KvBytes.GetValueOrDefault(device))} MiB\n");
        }
        foreach (var note in Notes)
            text.Append("  note: ").Append(note).Append('\n');
        return text.ToString().TrimEnd('\n');
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>"0-3, 7" for [0, 1, 2, 3, 7].</summary>
    public static string Ranges(IReadOnlyList<int> values)
    {
        var ranges = new List<string>();
        for (int i = 0; i < values.Count;)
        {
            int j = i;
            while (j + 1 < values.Count && values[j + 1] == values[j] + 1)
                j++;
            ranges.Add(i == j ? $"{values[i]}" : $"{values[i]}-{values[j]}");
            i = j + 1;
        }
        return string.Join(", ", ranges);
    }
}
