using System.Globalization;
using Tessera.Runtime;
using Tessera.Runtime.Experts;

namespace Tessera.Cli.Run;

/// <summary>What the commands say about the expert memory tier (`--mem-limit`, `--hot-experts`): its plan and where
/// the placement came from when it starts, its hits and misses at the end.</summary>
public static class ExpertTierReport
{
    public static void WriteStart(TextWriter writer, InferenceContext inference, ExpertTierOptions? asked, bool verbose)
    {
        if (asked is null)
            return;
        var tier = inference.ExpertTier;
        if (tier is null)
        {
            writer.WriteLine(inference.ExpertStatistics is null
                ? "tessera: warning: --mem-limit/--hot-experts: the model has no experts; ignored"
                : "tessera: every expert fits in the memory limit: all stay resident, no expert tier is needed");
            return;
        }
        foreach (string warning in tier.Warnings)
            writer.WriteLine($"tessera: warning: {warning}");
        if (!verbose)
            return;
        var plan = tier.Plan;
        writer.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "expert tier: {0} of {1} experts per layer resident ({2} with the dense weights, limit {3}); placement from {4}",
            plan.HotPerLayer, plan.ExpertCount, Units.Bytes(plan.ResidentBytes), Units.Bytes(plan.MemoryLimit), tier.PlacementSource));
    }

    /// <summary>The end-of-run lines of whichever expert tiers ran.</summary>
    public static void WriteEnd(TextWriter writer, InferenceContext inference)
    {
        WriteSummary(writer, inference.ExpertTier);
        WriteDeviceSummary(writer, inference.DeviceExperts);
    }

    private static void WriteSummary(TextWriter writer, ExpertTier? tier)
    {
        if (tier is null)
            return;
        long choices = tier.Hits + tier.PrefetchHits + tier.Misses;
        writer.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "expert tier: {0} of {1} experts per layer resident{2}; choices {3}: {4} resident, {5} read ahead, {6} missed ({7:P1} in memory ahead of use); " +
            "{8} read-aheads, {9} experts moved; statistics are kept in {10}",
            tier.Plan.HotPerLayer, tier.Plan.ExpertCount, tier.Locked ? " (locked)" : " (not locked: memlock limit)", choices, tier.Hits,
            tier.PrefetchHits, tier.Misses, choices == 0 ? 0 : (double)(tier.Hits + tier.PrefetchHits) / choices, tier.Prefetches, tier.Moves, tier.SeedPath));
    }

    public static void WriteDeviceStart(TextWriter writer, InferenceContext inference, bool verbose)
    {
        if (inference.DeviceExperts is not { } experts)
            return;
        if (experts.HotPerLayer == 0)
            writer.WriteLine($"tessera: warning: --moe-device {experts.Device.Name}: {Units.Bytes(experts.BudgetBytes)} holds no expert of every layer; all stay on the CPU");
        else if (verbose)
            writer.WriteLine(string.Format(CultureInfo.InvariantCulture, "hot experts: {0} per layer copied to {1} (budget {2}), the rest on the CPU",
                experts.HotPerLayer, experts.Device.Name, Units.Bytes(experts.BudgetBytes)));
    }

    private static void WriteDeviceSummary(TextWriter writer, Models.Experts.DeviceExperts? experts)
    {
        if (experts is null)
            return;
        long choices = experts.DeviceChoices + experts.HostChoices;
        writer.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "hot experts on {0}: {1} per layer, {2} of copies; choices {3}: {4} on {0}, {5} on the CPU; {6} copies made, {7} freed",
            experts.Device.Name, experts.HotPerLayer, Units.Bytes(experts.ResidentBytes), choices, experts.DeviceChoices, experts.HostChoices,
            experts.Uploads, experts.Evictions));
    }
}
