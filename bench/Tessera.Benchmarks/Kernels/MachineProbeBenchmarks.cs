using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Threading;

namespace Tessera.Benchmarks.Kernels;

/// <summary>
/// The machine's ceilings the kernels are judged against: memory read bandwidth (<see cref="MemoryReadProbe"/> over a
/// 512 MiB buffer, far beyond cache: the read `tessera bench --bandwidth` measures around its runs) and FMA peak
/// (independent FMA chains in registers), with 1 and 2 threads.
/// Read GB/s = 512 MiB / time; GFLOP/s = FmaPerThread * lanes * 2 * threads / time.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public unsafe class MachineProbeBenchmarks
{
    private const long BufferBytes = 512L << 20;
    private const int FmaIterations = 10_000_000;
    private const int Chains = 12;

    private MemoryReadProbe _probe = null!;
    private KernelThreadPool _pool = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _probe = new MemoryReadProbe(BufferBytes);
        _pool = new KernelThreadPool(Threads);
    }

    /// <summary>Bytes read or flops done by one invocation, for the throughput columns.</summary>
    internal static Work? WorkOf(string method, int threads) => method switch
    {
        nameof(MemoryRead) => new Work(BufferBytes, 0),
        nameof(FmaPeakAvx2) => new Work(0, 2.0 * FmaIterations * Chains * 8 * threads),
        // No AVX-512: the method does nothing, and a rate from its empty time would be nonsense (no value instead).
        nameof(FmaPeakAvx512) => Avx512F.IsSupported ? new Work(0, 2.0 * FmaIterations * Chains * 16 * threads) : null,
        _ => null,
    };

    [Benchmark]
    public void MemoryRead() => _probe.Read(_pool, Threads);

    [Benchmark]
    public void FmaPeakAvx2() => _pool.Run(Threads, &FmaChains256, null);

    [Benchmark]
    public void FmaPeakAvx512()
    {
        if (Avx512F.IsSupported)
            _pool.Run(Threads, &FmaChains512, null);
    }

    private static void FmaChains256(void* state, int task, int threadIndex)
    {
        // Twelve independent chains in registers: enough to cover FMA latency x two FMA ports.
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        for (int i = 0; i < FmaIterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, m, c); a1 = Fma.MultiplyAdd(a1, m, c); a2 = Fma.MultiplyAdd(a2, m, c);
            a3 = Fma.MultiplyAdd(a3, m, c); a4 = Fma.MultiplyAdd(a4, m, c); a5 = Fma.MultiplyAdd(a5, m, c);
            a6 = Fma.MultiplyAdd(a6, m, c); a7 = Fma.MultiplyAdd(a7, m, c); a8 = Fma.MultiplyAdd(a8, m, c);
            a9 = Fma.MultiplyAdd(a9, m, c); a10 = Fma.MultiplyAdd(a10, m, c); a11 = Fma.MultiplyAdd(a11, m, c);
        }
        GC.KeepAlive(Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11));
    }

    private static void FmaChains512(void* state, int task, int threadIndex)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        for (int i = 0; i < FmaIterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, m, c); a1 = Avx512F.FusedMultiplyAdd(a1, m, c); a2 = Avx512F.FusedMultiplyAdd(a2, m, c);
            a3 = Avx512F.FusedMultiplyAdd(a3, m, c); a4 = Avx512F.FusedMultiplyAdd(a4, m, c); a5 = Avx512F.FusedMultiplyAdd(a5, m, c);
            a6 = Avx512F.FusedMultiplyAdd(a6, m, c); a7 = Avx512F.FusedMultiplyAdd(a7, m, c); a8 = Avx512F.FusedMultiplyAdd(a8, m, c);
            a9 = Avx512F.FusedMultiplyAdd(a9, m, c); a10 = Avx512F.FusedMultiplyAdd(a10, m, c); a11 = Avx512F.FusedMultiplyAdd(a11, m, c);
        }
        GC.KeepAlive(Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        _probe.Dispose();
    }
}
