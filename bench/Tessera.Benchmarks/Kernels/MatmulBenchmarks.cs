using BenchmarkDotNet.Attributes;
using Tessera.Kernels;

namespace Tessera.Benchmarks.Kernels;

/// <summary>Prompt processing: Y[512, rows] = X[512, k] · W^T for TinyLlama's FFN shapes.</summary>
public unsafe class MatmulBenchmarks : MatrixBenchmark
{
    [Params(512)]
    public int Tokens { get; set; }

    protected override int TokenCount => Tokens;

    [Benchmark]
    public void Matmul() => MatMul.Compute(Type, Weights.Data, Weights.Rows, Weights.K, X, Tokens, Y, Pool);
}
