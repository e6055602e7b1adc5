using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Tests;

/// <summary>The Q8_0 row codec of the KV cache: quantizing gives the reference quantizer's bytes, and the SIMD
/// dequantizer gives the scalar reference's floats exactly.</summary>
public sealed unsafe class Q8_0RowsTests
{
    [Fact]
    public void Quantize_and_dequantize_match_the_references_on_random_rows()
    {
        var random = new TestRandom();
        foreach (int blocks in new[] { 1, 2, 3, 5, 7, 13, 31 })
        {
            int k = blocks * Q8_0Rows.BlockSize;
            var x = random.Floats(k, scale: random.Next(1, 100));
            var bytes = new byte[Q8_0Rows.RowBytes(k)];
            var reference = new byte[bytes.Length];
            Tensors.Quants.Q8_0.Quantize(x, reference);
            var scalar = new float[k];
            var simd = new float[k];
            fixed (float* source = x)
            fixed (byte* row = bytes)
            fixed (float* s = scalar)
            fixed (float* v = simd)
            {
                Q8_0Rows.Quantize(source, k, row);
                Q8_0Rows.DequantizeScalar(row, k, s);
                if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
                    Q8_0Rows.DequantizeVector256(row, k, v);
                else
                    Q8_0Rows.Dequantize(row, k, v);
            }
            Assert.True(reference.AsSpan().SequenceEqual(bytes), $"{blocks} blocks: quantized bytes differ from the reference ({random})");
            Assert.Equal(scalar, simd);
            // Round to nearest: within half a step of the original, plus the scale's rounding to a half (127 x 2^-11 steps).
            for (int i = 0; i < k; i++)
            {
                float step = x.Skip(i / 32 * 32).Take(32).Max(Math.Abs) / 127f;
                Assert.True(Math.Abs(scalar[i] - x[i]) <= 0.57f * step + 1e-6f, $"element {i}: {scalar[i]} vs {x[i]} ({random})");
            }
        }
    }

    [Fact]
    public void Rejects_rows_that_are_not_whole_blocks()
    {
        var x = new float[40];
        var row = new byte[64];
        fixed (float* source = x)
        fixed (byte* destination = row)
        {
            nint s = (nint)source, d = (nint)destination;
            Assert.Throws<ArgumentException>(() => Q8_0Rows.Quantize((float*)s, 40, (byte*)d));
            Assert.Throws<ArgumentException>(() => Q8_0Rows.Dequantize((byte*)d, 40, (float*)s));
        }
    }
}
