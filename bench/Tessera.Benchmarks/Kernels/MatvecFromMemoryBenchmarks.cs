using BenchmarkDotNet.Attributes;
using Tessera.Kernels;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Benchmarks.Kernels;

/// <summary>
/// Decode as a model runs it: each invocation multiplies the next of enough copies of a TinyLlama FFN matrix that
/// together they are far larger than the last-level cache, so the weights come from memory (<see cref="MatvecBenchmarks"/>
/// reuses one matrix, which a 32 MiB L3 holds). <see cref="Read"/> only reads the same copies with the same threads:
/// the ratio of the two GB/s columns is how much of the reachable memory rate the kernel turns into products.
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public unsafe class MatvecFromMemoryBenchmarks
{
    /// <summary>Bytes all copies take together: eight times a 32 MiB L3.</summary>
    private const long TotalBytes = 256L << 20;

    private WeightMatrix[] _copies = null!;
    private KernelThreadPool _pool = null!;
    private float[] _x = null!;
    private float[] _y = null!;
    private int _next;

    public static IEnumerable<GgmlType> Types() => MatrixBenchmark.Types();

    [ParamsSource(nameof(Types))]
    public GgmlType Type { get; set; }

    [Params(Shapes.FfnUp)]
    public string Shape { get; set; } = Shapes.FfnUp;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (rows, k) = Shapes.Parse(Shape);
        long bytes = GgmlTypeTraits.Of(Type).BytesFor(k) * rows;
        _copies = new WeightMatrix[(int)Math.Max(2, TotalBytes / bytes)];
        for (int i = 0; i < _copies.Length; i++)
            _copies[i] = new WeightMatrix(Type, rows, k);
        _pool = new KernelThreadPool(Threads);
        _x = WeightMatrix.RandomActivations(k);
        _y = new float[rows];
    }

    /// <summary>Bytes read by one invocation, and no arithmetic for <see cref="Read"/>.</summary>
    internal static Work? WorkOf(string method, Work matrix) => method == nameof(Read) ? matrix with { Flops = 0 } : matrix;

    [Benchmark]
    public void Matvec()
    {
        var w = Next();
        MatVec.Compute(Type, w.Data, w.Rows, w.K, _x, _y, _pool);
    }

    [Benchmark]
    public void Read()
    {
        var w = Next();
        Tessera.Kernels.Memory.MemoryReadProbe.Read(_pool, Threads, w.Data, w.Bytes);
    }

    private WeightMatrix Next()
    {
        var w = _copies[_next];
        _next = (_next + 1) % _copies.Length;
        return w;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        foreach (var copy in _copies)
            copy.Dispose();
    }
}
