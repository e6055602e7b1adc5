using BenchmarkDotNet.Attributes;
using Tessera.Kernels;

namespace Tessera.Benchmarks.Kernels;

/// <summary>Decode: y = W · x for TinyLlama's FFN shapes, per weight type and thread count.</summary>
public unsafe class MatvecBenchmarks : MatrixBenchmark
{
    protected override int TokenCount => 1;

    [Benchmark]
    public void Matvec() => MatVec.Compute(Type, Weights.Data, Weights.Rows, Weights.K, X, Y, Pool);
}
