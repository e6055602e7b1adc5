using System.Globalization;
using Tessera.Models.Experts;

namespace Tessera.Cli.Bench;

/// <summary>`tessera bench --moe-stats`: per MoE layer the tokens routed, the most selected experts with their share,
/// the busiest expert's load against a uniform one, and the entropy of the choices.</summary>
public static class ExpertStatisticsTable
{
    private const int TopExperts = 4;

    public static void Write(TextWriter writer, ExpertStatistics stats)
    {
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine();
        writer.WriteLine(string.Format(c, "| {0,5} | {1,8} | {2,-40} | {3,9} | {4,13} |", "layer", "tokens", $"top {TopExperts} experts (share of choices)", "max/mean", "entropy bits"));
        writer.WriteLine($"| {new string('-', 5)} | {new string('-', 8)} | {new string('-', 40)} | {new string('-', 9)} | {new string('-', 13)} |");
        for (int layer = 0; layer < stats.LayerCount; layer++)
        {
            double total = Enumerable.Range(0, stats.ExpertCount).Sum(e => (double)stats.Selections(layer, e));
            var top = stats.Top(layer, TopExperts);
            string shares = total == 0 ? "-" : string.Join(" ", top.Select(t => string.Create(c, $"{t.Expert}:{100 * t.Selections / total:F1}%")));
            double load = total == 0 ? 0 : top[0].Selections / (total / stats.ExpertCount);
            writer.WriteLine(string.Format(c, "| {0,5} | {1,8} | {2,-40} | {3,9:F2} | {4,6:F3} / {5,4:F2} |", layer, stats.Tokens(layer), shares, load,
                stats.Entropy(layer), Math.Log2(stats.ExpertCount)));
        }
        writer.WriteLine(string.Format(c, "shard plans made: {0} (a layer is planned again when its choices shift)", stats.ShardPlan.Plans));
    }

    /// <summary>What the grouped expert passes' longest-first packing estimated for the CPU's threads.</summary>
    public static void WritePacking(TextWriter writer, Devices.Cpu.PackingTotals packing)
    {
        if (packing.Calls == 0)
            return;
        writer.WriteLine(string.Format(CultureInfo.InvariantCulture, "grouped expert passes: {0}, estimated idle from their packing {1:P1}",
            packing.Calls, packing.EstimatedIdle));
    }
}
