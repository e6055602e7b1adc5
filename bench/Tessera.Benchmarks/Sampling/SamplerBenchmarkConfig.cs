using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Tessera.Benchmarks.Sampling;

/// <summary>A short in-process run (calls take micro- to milliseconds) that also reports allocations per call.</summary>
internal sealed class SamplerBenchmarkConfig : ManualConfig
{
    public SamplerBenchmarkConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithId("short-inprocess"));
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
