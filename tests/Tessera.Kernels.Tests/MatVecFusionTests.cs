using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The element-wise work fused into the products: SwiGLU into the down projection's input
/// (<see cref="MatVec.ComputeGated"/>) and RoPE into the q/k write (<see cref="MatVecTarget.Rotary"/>). Each must give
/// bit for bit what the separate operations give, under both dispatches.
/// </summary>
public sealed unsafe class MatVecFusionTests
{
    public static TheoryData<GgmlType> Types => KernelPaths.Types;

    [Theory]
    [MemberData(nameof(Types))]
    public void Gated_product_is_swiglu_then_the_product_bit_for_bit(GgmlType type)
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        int block = QuantKernels.Get(type).BlockSize;
        // 1024 and 768 take the chunked quantization (whole 256-value chunks); the others quantize the activated row whole.
        foreach (int k in new[] { 1024, 768, block == 256 ? 512 : 96, block == 256 ? 256 : 160 })
        {
            const int rows = 37;
            var weights = new QuantizedRows(type, QuantKernels.Get(type).ActivationType, k, rows, random).Weights;
            var gate = random.Floats(k, 3f);
            var up = random.Floats(k);
            var activated = new float[k];
            SwiGlu.Apply(gate, up, activated);
            var separate = new float[rows];
            var fused = new float[rows];
            fixed (byte* w = weights)
            {
                MatVec.Compute(type, w, rows, k, activated, separate, pool);
                MatVec.ComputeGated(type, w, rows, k, gate, up, fused, pool);
            }
            Assert.True(separate.AsSpan().SequenceEqual(fused), $"{type}, k = {k}: the fused product differs ({random})");
        }
    }

    /// <summary>The entry the decode benchmarks time writes what the gated product reads: the activated row quantized
    /// as a whole, byte for byte.</summary>
    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    public void Gated_activations_are_the_activated_row_quantized(GgmlType type)
    {
        var random = new TestRandom();
        var kernel = QuantKernels.Get(type);
        const int k = 768;
        var gate = random.Floats(k, 3f);
        var up = random.Floats(k);
        var activated = new float[k];
        SwiGlu.Apply(gate, up, activated);
        var expected = new byte[kernel.ActivationRowBytes(k)];
        var got = new byte[expected.Length];
        fixed (float* g = gate, u = up, a = activated)
        fixed (byte* e = expected, o = got)
        {
            kernel.QuantizeActivations(a, k, e);
            MatVec.GatedActivations(type, g, u, k, o);
        }
        Assert.True(got.AsSpan().SequenceEqual(expected), $"{type}: the chunked activations differ ({random})");
        Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* g = gate, u = up)
            fixed (byte* o = got)
                MatVec.GatedActivations(type, g, u, 96, o);
        });
    }

    [Fact]
    public void Gated_product_rejects_gate_and_up_of_different_lengths()
    {
        using var pool = new KernelThreadPool(1);
        var weights = new float[4 * 64];
        var error = Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* w = weights)
                MatVec.ComputeGated(GgmlType.F32, (byte*)w, 4, 64, new float[64], new float[32], new float[4], pool);
        });
        Assert.Contains("up has 32", error.Message);
    }

    public static TheoryData<RopeStyle, int, int, int> RotaryCases => new()
    {
        { RopeStyle.Normal, 64, 0, 32 },   // llama's heads, 32 heads of q: several heads per task
        { RopeStyle.Neox, 128, 64, 4 },    // partial rotation, fewer heads than tasks would like
        { RopeStyle.Normal, 6, 0, 27 },    // a head that is no multiple of 4: tasks hold 12 rows at a time
        { RopeStyle.Neox, 10, 8, 1 },      // one head
    };

    [Theory]
    [MemberData(nameof(RotaryCases))]
    public void Rotated_products_are_the_products_then_rope_bit_for_bit(RopeStyle style, int headDim, int rotaryDims, int heads)
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        var options = new RopeOptions(style, 10000f, 1f, rotaryDims);
        int k = 256, rows = heads * headDim, position = random.Next(0, 4000);
        // One token rotates inside the matrix-vector tasks; several tokens after their pass (positions position..).
        foreach (var (type, tokens) in new[] { (GgmlType.Q4_0, 1), (GgmlType.F16, 1), (GgmlType.Q4_K, 1), (GgmlType.Q8_0, 5), (GgmlType.F32, 9) })
        {
            var weights = new QuantizedRows(type, QuantKernels.Get(type).ActivationType, k, rows, random).Weights;
            var values = new QuantizedRows(GgmlType.Q8_0, GgmlType.Q8_0, k, 3, random).Weights;   // a second matrix beside it, unrotated
            var x = random.Floats(tokens * k);
            var expected = new float[tokens * rows];
            var expectedPlain = new float[tokens * 3];
            var rotated = new float[tokens * rows];
            var plain = new float[tokens * 3];
            fixed (byte* w = weights)
            fixed (byte* v = values)
            fixed (float* y = rotated)
            fixed (float* p = plain)
            {
                MatMul.Compute(type, w, rows, k, x, tokens, expected, pool);
                MatMul.Compute(GgmlType.Q8_0, v, 3, k, x, tokens, expectedPlain, pool);
                for (int t = 0; t < tokens; t++)
                    Rope.Apply(expected.AsSpan(t * rows, rows), heads, headDim, position + t, options);
                MatMul.ComputeShared([new MatVecTarget(type, w, rows, y, rotary: new RotaryOutput(headDim, position, options)),
                    new MatVecTarget(GgmlType.Q8_0, v, 3, p)], k, x, tokens, pool);
            }
            Assert.True(expected.AsSpan().SequenceEqual(rotated), $"{type}, {tokens} token(s): the rotated product differs ({random})");
            Assert.True(expectedPlain.AsSpan().SequenceEqual(plain), $"{type}, {tokens} token(s): the product beside it changed ({random})");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Rotation_of_a_partial_head_is_refused_before_anything_is_written(int tokens)
    {
        using var pool = new KernelThreadPool(2);
        const int k = 64, rows = 40;
        var weights = new float[rows * k];
        var y = new float[tokens * rows];
        y.AsSpan().Fill(7f);
        var error = Assert.Throws<ArgumentException>(() =>
        {
            fixed (float* w = weights)
            fixed (float* output = y)
                MatMul.ComputeShared([new MatVecTarget(GgmlType.F32, (byte*)w, rows, output, rotary: new RotaryOutput(16, 0, new RopeOptions(RopeStyle.Normal)))],
                    k, new float[tokens * k], tokens, pool);
        });
        Assert.Contains("heads of 16", error.Message);
        Assert.All(y, value => Assert.Equal(7f, value));
    }
}
