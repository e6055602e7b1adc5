using BenchmarkDotNet.Attributes;
using Tessera.Kernels;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Benchmarks.Kernels;

/// <summary>Prompt processing: Y[512, rows] = X[512, k] · W^T for TinyLlama's FFN shapes.</summary>
[Config(typeof(KernelBenchmarkConfig))]
public unsafe class MatmulBenchmarks
{
    private WeightMatrix _weights = null!;
    private KernelThreadPool _pool = null!;
    private float[] _x = null!;
    private float[] _y = null!;

    [Params(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.F32, GgmlType.BF16,
        GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K, GgmlType.IQ4_NL)]
    public GgmlType Type { get; set; }

    [Params(Shapes.FfnDown, Shapes.FfnUp)]
    public string Shape { get; set; } = Shapes.FfnDown;

    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(512)]
    public int Tokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (rows, k) = Shapes.Parse(Shape);
        _weights = new WeightMatrix(Type, rows, k);
        _pool = new KernelThreadPool(Threads);
        _x = WeightMatrix.RandomActivations(k * Tokens);
        _y = new float[rows * Tokens];
    }

    [Benchmark]
    public void Matmul() => MatMul.Compute(Type, _weights.Data, _weights.Rows, _weights.K, _x, Tokens, _y, _pool);

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        _weights.Dispose();
    }
}
