using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Quants.Nibbles;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Benchmarks.Kernels;

/// <summary>
/// The steps of a decode token that the calling thread runs alone while the other kernel threads wait: a layer's
/// activations quantized for the next product, and the feed-forward's SwiGLU. TinyLlama's widths (2048 and 5632).
/// Every microsecond here is a microsecond of the token for all threads, so they are measured on their own (they are
/// compute on data in L1, unlike the products, and do not swing with the machine's memory phases).
/// Run: dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*DecodeActivation*'
/// </summary>
[Config(typeof(KernelBenchmarkConfig))]
public unsafe class DecodeActivationBenchmarks
{
    private const int Model = 2048;
    private const int FeedForward = 5632;

    private float* _gate;
    private float* _up;
    private float* _product;
    private byte* _quantized;

    [GlobalSetup]
    public void Setup()
    {
        _gate = Fill(FeedForward, 1);
        _up = Fill(FeedForward, 2);
        _product = (float*)NativeMemory.AlignedAlloc(FeedForward * sizeof(float), 64);
        _quantized = (byte*)NativeMemory.AlignedAlloc(FeedForward * 2, 64);
    }

    private static float* Fill(int count, int seed)
    {
        var random = new Random(seed);
        var values = (float*)NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 8 - 4);
        return values;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_gate);
        NativeMemory.AlignedFree(_up);
        NativeMemory.AlignedFree(_product);
        NativeMemory.AlignedFree(_quantized);
    }

    /// <summary>The Q8_0 blocks that Q8_0 and the K-quants' decode dots read (one row of the model's width).</summary>
    [Benchmark]
    public void QuantizeQ8_0() => Q8_0Activations.Quantize(_gate, Model, _quantized);

    /// <summary>The Q4_0 / IQ4_NL decode dots' activation layout (Q8_0 blocks rearranged).</summary>
    [Benchmark]
    public void QuantizeNibbles() => NibbleActivations.Quantize(_gate, Model, _quantized);

    /// <summary>silu(gate) x up over the feed-forward width, as one call.</summary>
    [Benchmark]
    public void SwiGluWhole() =>
        SwiGlu.Apply(new ReadOnlySpan<float>(_gate, FeedForward), new ReadOnlySpan<float>(_up, FeedForward), new Span<float>(_product, FeedForward));

    /// <summary>A layer's attention norm (one token).</summary>
    [Benchmark]
    public void Norm() => RmsNorm.ApplyRows(new ReadOnlySpan<float>(_gate, Model), new ReadOnlySpan<float>(_up, Model), 1e-5f, new Span<float>(_product, Model));

    /// <summary>The residual add fused with the feed-forward norm (one token).</summary>
    [Benchmark]
    public void AddNorm() =>
        RmsNorm.AddApplyRows(new Span<float>(_product, Model), new ReadOnlySpan<float>(_gate, Model), new ReadOnlySpan<float>(_up, Model), 1e-5f,
            new Span<float>(_product + Model, Model));

    /// <summary>The fused down projection's input: SwiGLU 256 values at a time straight into Q4_0's activation layout.</summary>
    [Benchmark]
    public void GatedNibbles() => Tessera.Kernels.MatVec.GatedActivations(Tessera.Tensors.GgmlType.Q4_0, _gate, _up, FeedForward, _quantized);
}
