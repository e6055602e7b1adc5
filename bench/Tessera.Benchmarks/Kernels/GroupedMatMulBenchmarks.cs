using BenchmarkDotNet.Attributes;
using Tessera.Kernels;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Benchmarks.Kernels;

/// <summary>
/// One MoE layer's gate projections (the `moe-1b` preset: 32 experts of [768, 1024]) over the tokens routed to each:
/// one expert at a time through the pool (`--moe-schedule off`) against one grouped pass whose row shards are packed
/// onto the threads longest first (`auto`). Routing is skewed as trained routers are (expert i gets a share
/// proportional to 1/(i+1)), for a 512-token prompt (2,048 choices) and a server step of 8 sequences (32 choices).
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public unsafe class GroupedMatMulBenchmarks
{
    private const int Experts = 32, Rows = 768, K = 1024;

    private WeightMatrix _weights = null!;
    private KernelThreadPool _pool = null!;
    private float[] _x = null!;
    private float[] _y = null!;
    private int[] _tokens = null!;
    private GroupedProduct[] _products = null!;
    private System.Runtime.InteropServices.GCHandle _xHandle, _yHandle;

    [Params(GgmlType.Q4_0)]
    public GgmlType Type { get; set; }

    [Params(2048, 32)]
    public int Choices { get; set; }

    [Params(2)]
    public int Threads { get; set; }

    /// <summary>Skewed routing (shares 1/(i+1)) or an even one.</summary>
    [Params(true, false)]
    public bool Skewed { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _weights = new WeightMatrix(Type, Experts * Rows, K);
        _pool = new KernelThreadPool(Threads);
        _tokens = Skewed ? SkewedCounts(Choices) : EvenCounts(Choices);
        _x = WeightMatrix.RandomActivations(Choices * K);
        _y = new float[Choices * Rows];
        _xHandle = System.Runtime.InteropServices.GCHandle.Alloc(_x, System.Runtime.InteropServices.GCHandleType.Pinned);
        _yHandle = System.Runtime.InteropServices.GCHandle.Alloc(_y, System.Runtime.InteropServices.GCHandleType.Pinned);
        var x = (float*)_xHandle.AddrOfPinnedObject();
        var y = (float*)_yHandle.AddrOfPinnedObject();
        var products = new List<GroupedProduct>();
        int first = 0;
        for (int e = 0; e < Experts; e++)
        {
            if (_tokens[e] == 0)
                continue;
            // Shards as the shard plan cuts them: ceil(share x threads x 2).
            int shards = (int)Math.Ceiling((double)_tokens[e] / Choices * Threads * 2);
            products.Add(new GroupedProduct(Type, _weights.Data + (long)e * Rows * _weights.RowBytes, Rows, K, x + (long)first * K, _tokens[e],
                y + (long)first * Rows, shards));
            first += _tokens[e];
        }
        _products = [.. products];
    }

    /// <summary>Choices per expert with shares proportional to 1/(expert + 1), summing to <paramref name="choices"/>.</summary>
    private static int[] SkewedCounts(int choices)
    {
        double harmonic = Enumerable.Range(1, Experts).Sum(i => 1.0 / i);
        var counts = Enumerable.Range(0, Experts).Select(e => (int)(choices / harmonic / (e + 1))).ToArray();
        counts[0] += choices - counts.Sum();
        return counts;
    }

    private static int[] EvenCounts(int choices) => Enumerable.Range(0, Experts).Select(e => choices / Experts + (e < choices % Experts ? 1 : 0)).ToArray();

    [Benchmark(Baseline = true)]
    public void OneExpertAtATime()
    {
        foreach (var p in _products)
            MatMul.Compute(Type, p.Weights, p.Rows, K, new ReadOnlySpan<float>(p.X, p.Tokens * K), p.Tokens, new Span<float>(p.Y, p.Tokens * Rows), _pool);
    }

    [Benchmark]
    public void Grouped() => GroupedMatMul.Compute(_products, _pool);

    [GlobalCleanup]
    public void Cleanup()
    {
        _xHandle.Free();
        _yHandle.Free();
        _pool.Dispose();
        _weights.Dispose();
    }
}
