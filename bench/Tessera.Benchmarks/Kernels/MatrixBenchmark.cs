using BenchmarkDotNet.Attributes;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Benchmarks.Kernels;

/// <summary>Shared parameters and setup of the matvec and matmul benchmarks: every weight type, TinyLlama's FFN
/// shapes, 1 and 2 threads.</summary>
[Config(typeof(KernelBenchmarkConfig))]
public abstract class MatrixBenchmark
{
    private protected WeightMatrix Weights { get; private set; } = null!;
    private protected KernelThreadPool Pool { get; private set; } = null!;
    private protected float[] X { get; private set; } = null!;
    private protected float[] Y { get; private set; } = null!;

    [Params(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16, GgmlType.F32, GgmlType.BF16,
        GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K, GgmlType.IQ4_NL)]
    public GgmlType Type { get; set; }

    [Params(Shapes.FfnDown, Shapes.FfnUp)]
    public string Shape { get; set; } = Shapes.FfnDown;

    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Token rows multiplied per invocation.</summary>
    protected abstract int TokenCount { get; }

    [GlobalSetup]
    public void Setup()
    {
        var (rows, k) = Shapes.Parse(Shape);
        Weights = new WeightMatrix(Type, rows, k);
        Pool = new KernelThreadPool(Threads);
        X = WeightMatrix.RandomActivations(k * TokenCount);
        Y = new float[rows * TokenCount];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Pool.Dispose();
        Weights.Dispose();
    }
}
