using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Tensors;
using Xunit.Abstractions;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The packed Q4_0 path (<see cref="NibbleActivations"/> + <see cref="Q4_0PackedDot"/>): the rearranged activations
/// carry exactly the Q8_0 reference's quants and scales, and the AVX-512 dot and tile agree with the scalar Q4_0 dot
/// over the plain Q8_0 layout.
/// </summary>
public sealed unsafe class PackedKernelTests(ITestOutputHelper output)
{
    /// <summary>Group counts 1..12 (every tail of the two-group loop) plus TinyLlama's row lengths.</summary>
    private static readonly int[] Lengths = [.. Enumerable.Range(1, 12).Select(g => g * NibbleActivations.GroupSize), 2048, 5632];

    private bool Supported()
    {
        if (Q4_0PackedDot.IsSupported)
            return true;
        output.WriteLine("packed Q4_0 path: SKIPPED, this CPU lacks AVX-512 BW/VBMI (the file-layout kernels run instead)");
        return false;
    }

    [Fact]
    public void Rearranged_activations_hold_the_q8_0_quants_sums_and_scales()
    {
        var random = new TestRandom();
        const int k = 3 * NibbleActivations.GroupSize;
        var x = random.Floats(k, 4f);
        var reference = new byte[GgmlTypeTraits.Of(GgmlType.Q8_0).BytesFor(k)];
        Quantization.Quantize(GgmlType.Q8_0, x, reference);
        var packed = new byte[k / NibbleActivations.GroupSize * NibbleActivations.GroupBytes];
        fixed (float* source = x)
        fixed (byte* destination = packed)
            NibbleActivations.Quantize(source, k, destination);

        for (int block = 0; block < k / 32; block++)
        {
            int group = block / 4, b = block % 4;
            var groupBytes = packed.AsSpan(group * NibbleActivations.GroupBytes, NibbleActivations.GroupBytes);
            var quants = reference.AsSpan(block * 34 + 2, 32);
            for (int j = 0; j < 16; j++)
            {
                Assert.Equal(quants[j], groupBytes[NibbleActivations.LowOffset + 16 * b + j]);
                Assert.Equal(quants[j + 16], groupBytes[NibbleActivations.HighOffset + 16 * b + j]);
            }
            float d = (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(reference, block * 34));
            var scales = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(groupBytes[NibbleActivations.ScaleOffset..]);
            var sums = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(groupBytes[NibbleActivations.SumOffset..NibbleActivations.ScaleOffset]);
            int blockSum = 0;
            for (int lane = 4 * b; lane < 4 * b + 4; lane++)
            {
                Assert.Equal(d * NibbleActivations.ExponentRebias, scales[lane]);
                blockSum += sums[lane];
            }
            int expected = 0;
            foreach (byte q in quants)
                expected += (sbyte)q;
            Assert.Equal(8 * expected, blockSum);
        }
    }

    [Fact]
    public void Packed_dot_matches_the_scalar_q4_0_dot()
    {
        if (!Supported())
            return;
        var random = new TestRandom();
        foreach (int k in Lengths)
        {
            var (weights, plain, packed, magnitude) = Inputs(k, 1, 1, random);
            fixed (byte* w = weights)
            fixed (byte* a = plain[0])
            fixed (byte* p = packed[0])
            {
                float scalar = Q4_0Dot.DotScalar(w, a, k);
                float got = Q4_0PackedDot.Dot(w, p, k);
                double error = Tolerances.Relative(got, scalar, magnitude[0, 0]);
                Assert.True(error <= Tolerances.SimdVsScalar, $"k={k}: {got} vs scalar {scalar}, relative error {error:E2} ({random})");
            }
        }
    }

    [Fact]
    public void Packed_tile_matches_the_scalar_q4_0_dot()
    {
        if (!Supported())
            return;
        var random = new TestRandom();
        foreach (int k in Lengths)
        {
            var (weights, plain, packed, magnitude) = Inputs(k, 4, 4, random);
            int rowBytes = weights.Length / 4, stride = packed[0].Length;
            var activations = packed.SelectMany(a => a).ToArray();
            var y = new float[16];
            fixed (byte* w = weights)
            fixed (byte* a = activations)
            fixed (float* result = y)
                Q4_0PackedDot.Tile(w, rowBytes, a, stride, k, result, 4);
            for (int t = 0; t < 4; t++)
            {
                for (int r = 0; r < 4; r++)
                {
                    fixed (byte* w = weights)
                    fixed (byte* a = plain[t])
                    {
                        float scalar = Q4_0Dot.DotScalar(w + r * rowBytes, a, k);
                        double error = Tolerances.Relative(y[t * 4 + r], scalar, magnitude[r, t]);
                        Assert.True(error <= Tolerances.SimdVsScalar, $"k={k} row {r} token {t}: {y[t * 4 + r]} vs scalar {scalar} ({random})");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Random Q4_0 rows (one block in each row zeroed, one scaled to a subnormal half scale, so those paths of the
    /// scale decoding run too) and activations in both layouts, with the sum of |products| per (row, token).
    /// </summary>
    private static (byte[] Weights, byte[][] Plain, byte[][] Packed, double[,] Magnitude) Inputs(int k, int rows, int tokens, TestRandom random)
    {
        var values = new float[rows * k];
        for (int r = 0; r < rows; r++)
        {
            var row = random.Floats(k);
            Array.Clear(row, 32 * random.Next(0, k / 32), 32);
            int tiny = 32 * random.Next(0, k / 32);
            for (int i = tiny; i < tiny + 32; i++)
                row[i] *= 1e-5f;
            row.CopyTo(values, r * k);
        }
        var weights = new byte[GgmlTypeTraits.Of(GgmlType.Q4_0).BytesFor((long)rows * k)];
        Quantization.Quantize(GgmlType.Q4_0, values, weights);
        var dequantized = new float[rows * k];
        Quantization.Dequantize(GgmlType.Q4_0, weights, dequantized);

        var plain = new byte[tokens][];
        var packed = new byte[tokens][];
        var magnitude = new double[rows, tokens];
        for (int t = 0; t < tokens; t++)
        {
            var x = random.Floats(k);
            plain[t] = new byte[GgmlTypeTraits.Of(GgmlType.Q8_0).BytesFor(k)];
            Quantization.Quantize(GgmlType.Q8_0, x, plain[t]);
            packed[t] = new byte[k / NibbleActivations.GroupSize * NibbleActivations.GroupBytes];
            fixed (float* source = x)
            fixed (byte* destination = packed[t])
                NibbleActivations.Quantize(source, k, destination);
            var xq = new float[k];
            Quantization.Dequantize(GgmlType.Q8_0, plain[t], xq);
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < k; i++)
                    magnitude[r, t] += Math.Abs((double)dequantized[r * k + i] * xq[i]);
            }
        }
        return (weights, plain, packed, magnitude);
    }
}
