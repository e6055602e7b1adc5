using System.Globalization;

namespace Tessera.LoadTest;

/// <summary>Summary of a run: throughput, latency percentiles and errors by status.</summary>
internal static class LoadReport
{
    /// <param name="first">the request that ran alone before the others (with a shared system prompt), or null</param>
    public static void Write(TextWriter output, IReadOnlyList<RequestOutcome> outcomes, TimeSpan elapsed, RequestOutcome? first, int concurrency)
    {
        var ok = outcomes.Where(outcome => outcome.Status == 200).ToList();
        int tokens = ok.Sum(outcome => outcome.CompletionTokens);
        int dropped = ok.Count(outcome => outcome.Dropped);
        output.WriteLine(Format($"requests:        {outcomes.Count} in {elapsed.TotalSeconds:F1} s ({outcomes.Count / elapsed.TotalSeconds:F2}/s), {ok.Count} ok ({dropped} dropped by the client on purpose)"));
        foreach (var group in outcomes.Where(outcome => outcome.Status != 200).GroupBy(outcome => outcome.Status).OrderBy(group => group.Key))
            output.WriteLine(Format($"  status {(group.Key == 0 ? "no connection" : group.Key.ToString(CultureInfo.InvariantCulture))}: {group.Count()}"));
        output.WriteLine(Format($"generated:       {tokens} tokens ({tokens / elapsed.TotalSeconds:F1} tokens/s over the run)"));
        Line(output, "request latency", ok.Select(outcome => outcome.Total).ToList());
        Line(output, "first token", ok.Where(outcome => outcome.TimeToFirstToken is not null).Select(outcome => outcome.TimeToFirstToken!.Value).ToList());
        Line(output, "between chunks", ok.SelectMany(outcome => outcome.InterTokenGaps).ToList());
        if (first?.TimeToFirstToken is { } alone)
            output.WriteLine(Format($"first request:   first token {alone * 1000:F1} ms (alone, computing the shared prefix)"));

        // One line for tables: clients, aggregate tokens/s, TTFT p50/p95, inter-token p50/p95/p99 (ms), errors, first TTFT.
        var ttft = Sorted(ok.Where(outcome => outcome.TimeToFirstToken is not null).Select(outcome => outcome.TimeToFirstToken!.Value));
        var gaps = Sorted(ok.SelectMany(outcome => outcome.InterTokenGaps));
        output.WriteLine(Format($"summary: clients={concurrency} tokens_per_s={tokens / elapsed.TotalSeconds:F2} ttft_p50_ms={Ms(ttft, 0.5):F0} ttft_p95_ms={Ms(ttft, 0.95):F0} itl_p50_ms={Ms(gaps, 0.5):F1} itl_p95_ms={Ms(gaps, 0.95):F1} itl_p99_ms={Ms(gaps, 0.99):F1} errors={outcomes.Count - ok.Count} dropped={dropped} first_ttft_ms={(first?.TimeToFirstToken ?? double.NaN) * 1000:F0}"));
    }

    private static List<double> Sorted(IEnumerable<double> values)
    {
        var list = values.ToList();
        list.Sort();
        return list;
    }

    private static double Ms(List<double> sorted, double fraction) => sorted.Count == 0 ? double.NaN : Percentile(sorted, fraction) * 1000;

    private static void Line(TextWriter output, string name, List<double> seconds)
    {
        if (seconds.Count == 0)
            return;
        seconds.Sort();
        output.WriteLine(Format($"{name + ":",-17}p50 {Percentile(seconds, 0.5) * 1000:F1} ms, p95 {Percentile(seconds, 0.95) * 1000:F1} ms, p99 {Percentile(seconds, 0.99) * 1000:F1} ms, max {seconds[^1] * 1000:F1} ms"));
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(List<double> sorted, double fraction) =>
        sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
