using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The Q8_0 decode dot with 512-bit <c>vpdpbusd</c> (<see cref="Q8_0VnniDot"/>, machine code; its bytes:
/// <see cref="MachineCodeTests"/>) against the scalar dot over plain Q8_0 activations, its activation layout, and where
/// decode takes it.
/// </summary>
public sealed unsafe class Q8_0VnniDotTests
{
    [Q8_0VnniFact]
    public void Dot_matches_the_scalar_dot_on_random_rows()
    {
        var random = new TestRandom();
        // Group counts 1..12 and TinyLlama's rows (k = 2048 and 5632, 16 and 44 groups).
        foreach (int k in Enumerable.Range(1, 12).Select(g => g * Q8_0VnniActivations.GroupSize).Append(2048).Append(5632))
        {
            var weights = new byte[GgmlTypeTraits.Of(GgmlType.Q8_0).BytesFor(k)];
            Quantization.Quantize(GgmlType.Q8_0, random.Floats(k, 2f), weights);
            AssertDotMatchesScalar(weights, random.Floats(k, 3f), k, $"k={k} ({random})");
        }
    }

    [Q8_0VnniFact]
    public void Extreme_weights_and_quants_are_exact()
    {
        // Weights at -128 (a file may hold it; plus 128 it is 0) and 127 (255) against quants at +-127: four products
        // of a lane reach 4 * 255 * 127, which 32-bit lanes hold.
        const int k = 512;
        var weights = new byte[k / 32 * Q8_0Activations.BlockBytes];
        for (int block = 0; block < k / 32; block++)
        {
            var bytes = weights.AsSpan(block * Q8_0Activations.BlockBytes, Q8_0Activations.BlockBytes);
            BitConverter.TryWriteBytes(bytes, BitConverter.HalfToUInt16Bits((Half)(block % 3 == 0 ? -0.5f : 0.25f)));
            for (int j = 0; j < 32; j++)
                bytes[2 + j] = (block + j / 8) % 2 == 0 ? (byte)0x80 : (byte)0x7F;
        }
        var x = new float[k];
        for (int i = 0; i < k; i++)
            x[i] = (i / 8 % 3 == 0 ? -1f : 1f) * 4f;
        AssertDotMatchesScalar(weights, x, k, "extremes");
    }

    [Fact]
    public void Activations_hold_the_Q8_0_quants_their_lane_offsets_and_scales()
    {
        var random = new TestRandom();
        const int k = 3 * Q8_0VnniActivations.GroupSize;
        var x = random.Floats(k, 4f);
        var plain = new byte[k / 32 * Q8_0Activations.BlockBytes];
        var grouped = new byte[k / Q8_0VnniActivations.GroupSize * Q8_0VnniActivations.GroupBytes];
        fixed (float* source = x)
        fixed (byte* p = plain)
        fixed (byte* g = grouped)
        {
            Q8_0Activations.Quantize(source, k, p);
            Q8_0VnniActivations.Quantize(source, k, g);
            for (int block = 0; block < k / 32; block++)
            {
                byte* q8 = p + block * Q8_0Activations.BlockBytes;
                byte* group = g + block / 4 * Q8_0VnniActivations.GroupBytes;
                int b = block % 4;
                for (int j = 0; j < 32; j++)
                    Assert.Equal(((sbyte*)q8)[2 + j], ((sbyte*)group)[32 * b + j]);
                for (int lane = 8 * b; lane < 8 * b + 8; lane++)
                {
                    int sum = 0;
                    for (int j = 4 * lane; j < 4 * lane + 4; j++)
                        sum += ((sbyte*)group)[j];
                    Assert.Equal(128 * sum, ((int*)(group + Q8_0VnniActivations.OffsetsOffset))[lane]);
                    Assert.Equal(HalfBits.ToSingle(q8) * HalfBits.ExponentRebias, ((float*)(group + Q8_0VnniActivations.ScalesOffset))[lane]);
                }
            }
        }
    }

    [Fact]
    public void Decode_takes_it_where_it_runs_and_batches_do_not()
    {
        Assert.True(QuantKernels.TryGet(GgmlType.Q8_0, 2048, out var packed));
        bool taken = (nint)packed.Dot == (nint)(delegate*<byte*, byte*, int, float>)&Q8_0VnniDot.Dot;
        Assert.Equal(Q8_0VnniDot.IsSupported, taken);
        if (taken)
        {
            Assert.Equal(Q8_0VnniActivations.GroupBytes, packed.ActivationRowBytes(Q8_0VnniActivations.GroupSize));
            Assert.True(QuantKernels.TryGetMatMulVariant(GgmlType.Q8_0, 2048, out _), "batches would reach the decode dot");
            Assert.True(QuantKernels.TryGetForMatMul(GgmlType.Q8_0, 2048, 2, out var forTwo));
            Assert.False((nint)forTwo.Dot == (nint)(delegate*<byte*, byte*, int, float>)&Q8_0VnniDot.Dot, "a batch of two took the decode dot");
        }
        // Rows that are not whole groups keep the plain kernels.
        Assert.True(QuantKernels.TryGet(GgmlType.Q8_0, 96, out var odd));
        Assert.False((nint)odd.Dot == (nint)(delegate*<byte*, byte*, int, float>)&Q8_0VnniDot.Dot);
    }

    private static void AssertDotMatchesScalar(byte[] weights, float[] x, int k, string what)
    {
        var plain = new byte[k / 32 * Q8_0Activations.BlockBytes];
        var grouped = new byte[k / Q8_0VnniActivations.GroupSize * Q8_0VnniActivations.GroupBytes];
        fixed (byte* w = weights)
        fixed (float* xs = x)
        fixed (byte* p = plain)
        fixed (byte* g = grouped)
        {
            Q8_0Activations.Quantize(xs, k, p);
            Q8_0VnniActivations.Quantize(xs, k, g);
            float expected = Q8_0Dot.DotScalar(w, p, k);
            float got = Q8_0VnniDot.Dot(w, g, k);
            double magnitude = 0;
            for (int b = 0; b < k / 32; b++)
            {
                double scale = Math.Abs((double)HalfBits.ToSingle(w + b * 34) * HalfBits.ToSingle(p + b * 34));
                for (int j = 0; j < 32; j++)
                    magnitude += scale * Math.Abs(((sbyte*)w)[b * 34 + 2 + j] * ((sbyte*)p)[b * 34 + 2 + j]);
            }
            Assert.True(Tolerances.Relative(got, expected, magnitude) <= Tolerances.SimdVsScalar, $"{what}: {got} vs scalar {expected}");
        }
    }
}

/// <summary>Runs only where <see cref="Q8_0VnniDot"/> can run (AVX-512 and AVX512-VNNI, Linux x86-64), and says so otherwise.</summary>
public sealed class Q8_0VnniFactAttribute : FactAttribute
{
    public Q8_0VnniFactAttribute()
    {
        if (!Q8_0VnniDot.IsSupported)
            Skip = "512-bit vpdpbusd does not run here (no AVX512-VNNI, AVX-512 off in the runtime, or no executable pages)";
    }
}
