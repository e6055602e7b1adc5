using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Tessera.Benchmarks.Kernels;

/// <summary>
/// Short in-process runs: the kernels are long-running (milliseconds) so few iterations suffice, and the machine
/// is shared, so a quick repeatable run beats a long one that absorbs more interference. Adds the throughput columns.
/// </summary>
internal sealed class KernelBenchmarkConfig : ManualConfig
{
    public KernelBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(7)
            .WithId("short-inprocess"));
        AddColumn(ThroughputColumn.All);
    }
}
