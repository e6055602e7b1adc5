using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Tessera.Tensors;

namespace Tessera.Benchmarks.Kernels;

/// <summary>
/// Extra columns derived from the measured time and the benchmark's parameters: GB/s of weights read, GFLOP/s
/// (2 * rows * k * tokens), and tokens/s-equivalent for a TinyLlama-1.1B-sized model (1.034e9 weights in its
/// matrices), which is what a forward pass would reach if these kernels were all it ran. Each comes from the mean
/// and from the best iteration: on a shared machine the mean absorbs other processes' load, the best iteration
/// is closer to what the kernel does on a quiet core.
/// </summary>
internal sealed class ThroughputColumn(string name, bool best, Func<Work, double, double> compute) : IColumn
{
    /// <summary>Matrix weights of TinyLlama-1.1B: 22 layers x (q, k, v, o, gate, up, down) + the 32000 x 2048 output.</summary>
    public const double TinyLlamaMatrixWeights = 1.034e9;

    public static readonly IColumn[] All = [.. Columns(best: false), .. Columns(best: true)];

    private static IEnumerable<IColumn> Columns(bool best) =>
    [
        new ThroughputColumn("GB/s", best, (w, seconds) => w.Bytes / seconds / 1e9),
        new ThroughputColumn("GFLOP/s", best, (w, seconds) => w.Flops / seconds / 1e9),
        new ThroughputColumn("tok/s TinyLlama", best, (w, seconds) => w.Flops / 2 / seconds / TinyLlamaMatrixWeights),
    ];

    public string Id => nameof(ThroughputColumn) + ColumnName;

    public string ColumnName => best ? name + " best" : name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"{name} derived from the {(best ? "best iteration" : "mean")} time";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var work = Work.Of(benchmarkCase);
        if (report?.ResultStatistics is null || work is null)
            return "-";
        double nanoseconds = best ? report.ResultStatistics.Min : report.ResultStatistics.Mean;
        return compute(work.Value, nanoseconds / 1e9).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>Bytes read and floating-point operations of one benchmark invocation, from its parameters.</summary>
internal readonly record struct Work(double Bytes, double Flops)
{
    public static Work? Of(BenchmarkCase benchmarkCase)
    {
        var p = benchmarkCase.Parameters;
        if (benchmarkCase.Descriptor.Type == typeof(MachineProbeBenchmarks))
            return MachineProbeBenchmarks.WorkOf(benchmarkCase.Descriptor.WorkloadMethod.Name, (int)p["Threads"]);
        if (p["Type"] is not GgmlType type || p["Shape"] is not string shape)
            return null;
        var (rows, k) = Shapes.Parse(shape);
        int tokens = p.Items.Any(i => i.Name == "Tokens") ? (int)p["Tokens"] : 1;
        double bytes = GgmlTypeTraits.Of(type).BytesFor(k) * (double)rows;
        var work = new Work(bytes, 2.0 * rows * k * tokens);
        return benchmarkCase.Descriptor.Type == typeof(MatvecFromMemoryBenchmarks)
            ? MatvecFromMemoryBenchmarks.WorkOf(benchmarkCase.Descriptor.WorkloadMethod.Name, work)
            : work;
    }
}

internal static class Shapes
{
    /// <summary>TinyLlama's FFN: gate/up (5632 rows of 2048) and down (2048 rows of 5632).</summary>
    public const string FfnUp = "5632x2048";
    public const string FfnDown = "2048x5632";

    public static (int Rows, int K) Parse(string shape)
    {
        var parts = shape.Split('x');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
