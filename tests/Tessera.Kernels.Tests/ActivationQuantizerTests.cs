using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Kernels.Quants.Q8_1;
using Tessera.Kernels.Quants.Q8_K;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>The kernels' activation quantizers must produce exactly the bytes of the reference quantizers in
/// Tessera.Tensors, so that kernel results mean the same thing as the reference formats.</summary>
public sealed unsafe class ActivationQuantizerTests
{
    public static TheoryData<GgmlType> ActivationTypes => new(GgmlType.Q8_0, GgmlType.Q8_1, GgmlType.Q8_K);

    /// <summary>The SIMD paths; the scalar fallback is the reference quantizer itself.</summary>
    private static (string Name, nint Quantize)[] Paths(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => WithAvx512(WithAvx2([("Vector128", (nint)(delegate*<float*, int, byte*, void>)&Q8_0Activations.QuantizeVector128)],
            (nint)(delegate*<float*, int, byte*, void>)&Q8_0Activations.QuantizeAvx2), (nint)(delegate*<float*, int, byte*, void>)&Q8_0Activations.QuantizeAvx512),
        GgmlType.Q8_1 => WithAvx2([("Vector128", (nint)(delegate*<float*, int, byte*, void>)&Q8_1Activations.QuantizeVector128)],
            (nint)(delegate*<float*, int, byte*, void>)&Q8_1Activations.QuantizeAvx2),
        GgmlType.Q8_K => [("Vector128", (nint)(delegate*<float*, int, byte*, void>)&Q8_KActivations.QuantizeVector128)],
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The AVX2 path as well where the CPU has it (both dispatches run in CI).</summary>
    private static (string Name, nint Quantize)[] WithAvx2((string Name, nint Quantize)[] paths, nint avx2) =>
        IsaSupport.Avx2 ? [.. paths, ("Avx2", avx2)] : paths;

    /// <summary>The AVX-512 path as well where the CPU has it (CI's second run turns it off).</summary>
    private static (string Name, nint Quantize)[] WithAvx512((string Name, nint Quantize)[] paths, nint avx512) =>
        IsaSupport.Avx512 ? [.. paths, ("Avx512", avx512)] : paths;

    /// <summary>The quantizers' scale conversion (<see cref="HalfConversion.ToHalf(float)"/>) across the whole float
    /// range: half normals, subnormals, the rounding boundaries between them and at the top, overflow to Inf, and NaN,
    /// against the framework's conversion.</summary>
    [Fact]
    public void Float_to_half_rounds_like_the_framework()
    {
        var random = new TestRandom();
        var values = new List<float> { 0f, -0f, 6.1035156e-5f, 6.1035153e-5f, 6.0975552e-5f, 65504f, 65519.996f, 65520f, 65536f, 1e10f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, 5.9604645e-8f, 2.9802322e-8f, 1.0009766f, 1.0004883f, 1.0014648f };
        for (int i = 0; i < 200_000; i++)
            values.Add(BitConverter.UInt32BitsToSingle((uint)random.Next(0, int.MaxValue) * 2u + (uint)random.Next(0, 2)));
        foreach (float value in values.Concat(values.Select(v => -v)))
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)value);
            ushort got = HalfConversion.ToHalf(value);
            bool same = float.IsNaN(value) ? (got & 0x7C00) == 0x7C00 && (got & 0x3FF) != 0 : got == expected;
            Assert.True(same, $"{value:R} (0x{BitConverter.SingleToUInt32Bits(value):X8}): 0x{got:X4} vs 0x{expected:X4} ({random})");
        }
    }

    private static byte[] Quantize(nint quantize, float[] x, int byteCount)
    {
        var bytes = new byte[byteCount];
        fixed (float* source = x)
        fixed (byte* target = bytes)
            ((delegate*<float*, int, byte*, void>)quantize)(source, x.Length, target);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(ActivationTypes))]
    public void Every_path_matches_the_reference_quantizer_byte_for_byte(GgmlType type)
    {
        var random = new TestRandom();
        var traits = GgmlTypeTraits.Of(type);
        foreach (int blocks in Enumerable.Range(1, 16).Append(64))
        {
            int k = blocks * traits.BlockSize;
            var x = random.Floats(k);
            var expected = new byte[traits.BytesFor(k)];
            Quantization.Quantize(type, x, expected);
            foreach (var (name, quantize) in Paths(type))
            {
                var got = Quantize(quantize, x, expected.Length);
                int mismatch = got.AsSpan().CommonPrefixLength(expected);
                Assert.True(mismatch == expected.Length,
                    $"{type} {name} k={k}: first differing byte {mismatch} (got {(mismatch < got.Length ? got[mismatch] : 0)}, expected {(mismatch < expected.Length ? expected[mismatch] : 0)}) ({random})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ActivationTypes))]
    public void Ties_and_zero_blocks_round_like_the_reference(GgmlType type)
    {
        var traits = GgmlTypeTraits.Of(type);
        int k = traits.BlockSize * 2;
        var x = new float[k];
        // Block 0: max 127 makes d = 1, so halves are exact ties; block 1 stays all zero.
        for (int i = 0; i < traits.BlockSize; i++)
            x[i] = i == 0 ? 127f : (i % 7 - 3) + 0.5f;
        var expected = new byte[traits.BytesFor(k)];
        Quantization.Quantize(type, x, expected);
        foreach (var (name, quantize) in Paths(type))
        {
            var got = Quantize(quantize, x, expected.Length);
            Assert.True(got.AsSpan().SequenceEqual(expected), $"{type} {name}: tie/zero block differs from the reference");
        }
    }

    [Fact]
    public void Public_quantize_row_rejects_partial_blocks_and_short_destinations()
    {
        Assert.Throws<ArgumentException>(() => Activations.QuantizeRow(GgmlType.Q8_0, new float[33], new byte[68]));
        Assert.Throws<ArgumentException>(() => Activations.QuantizeRow(GgmlType.Q8_0, new float[32], new byte[33]));
        Assert.Throws<ArgumentException>(() => Activations.QuantizeRow(GgmlType.Q4_0, new float[32], new byte[34]));
    }
}
