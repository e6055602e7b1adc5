using System.Globalization;

namespace Tessera.LoadTest;

/// <summary>Summary of a run: throughput, latency percentiles and errors by status.</summary>
internal static class LoadReport
{
    public static void Write(TextWriter output, IReadOnlyList<RequestOutcome> outcomes, TimeSpan elapsed)
    {
        var ok = outcomes.Where(outcome => outcome.Status == 200).ToList();
        int tokens = ok.Sum(outcome => outcome.CompletionTokens);
        output.WriteLine(Format($"requests:        {outcomes.Count} in {elapsed.TotalSeconds:F1} s ({outcomes.Count / elapsed.TotalSeconds:F2}/s), {ok.Count} ok"));
        foreach (var group in outcomes.Where(outcome => outcome.Status != 200).GroupBy(outcome => outcome.Status).OrderBy(group => group.Key))
            output.WriteLine(Format($"  status {(group.Key == 0 ? "no connection" : group.Key.ToString(CultureInfo.InvariantCulture))}: {group.Count()}"));
        output.WriteLine(Format($"generated:       {tokens} tokens ({tokens / elapsed.TotalSeconds:F1} tokens/s over the run)"));
        Line(output, "request latency", ok.Select(outcome => outcome.Total).ToList());
        Line(output, "first token", ok.Where(outcome => outcome.TimeToFirstToken is not null).Select(outcome => outcome.TimeToFirstToken!.Value).ToList());
        Line(output, "between chunks", ok.SelectMany(outcome => outcome.InterTokenGaps).ToList());
    }

    private static void Line(TextWriter output, string name, List<double> seconds)
    {
        if (seconds.Count == 0)
            return;
        seconds.Sort();
        output.WriteLine(Format($"{name + ":",-17}p50 {Percentile(seconds, 0.5) * 1000:F1} ms, p95 {Percentile(seconds, 0.95) * 1000:F1} ms, max {seconds[^1] * 1000:F1} ms"));
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double fraction) =>
        sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
