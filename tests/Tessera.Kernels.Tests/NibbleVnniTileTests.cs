using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.IQ4_NL;
using Tessera.Kernels.Quants.Nibbles;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The Q4_0 and IQ4_NL 4 x 4 and 4 x 2 tiles and IQ4_NL's decode dot with 512-bit <c>vpdpbusd</c>
/// (<see cref="NibbleVnniTile"/>, machine code; its bytes: <see cref="MachineCodeTests"/>) against each type's scalar dot
/// over plain Q8_0 activations, IQ4_NL's activations with 128 Σx offsets, and where the matvec and matmul take them.
/// </summary>
public sealed unsafe class NibbleVnniTileTests
{
    private const int Rows = NibbleVnniTile.Rows, Tokens = NibbleVnniTile.Tokens;

    public static TheoryData<GgmlType> Types => new() { GgmlType.Q4_0, GgmlType.IQ4_NL };

    [Vnni512Theory]
    [MemberData(nameof(Types))]
    public void Tile_and_decode_dot_match_the_scalar_dot_on_random_rows(GgmlType type)
    {
        var random = new TestRandom();
        // Group counts 1..12 (the tiles' loop has no tail, but each count ends elsewhere in a row; the decode dot takes
        // two groups a step and the odd ones' last alone) and TinyLlama's rows.
        foreach (int k in Enumerable.Range(1, 12).Select(g => g * NibbleActivations.GroupSize).Append(2048).Append(5632))
        {
            var weights = Weights(type, random.Floats(Rows * k, 2f), k);
            var x = random.Floats(Tokens * k, 3f);
            AssertTileMatchesScalar(type, weights, x, k, $"{type} k={k} ({random})");
        }
    }

    [Vnni512Theory]
    [MemberData(nameof(Types))]
    public void Extreme_levels_and_quants_do_not_saturate(GgmlType type)
    {
        // Every nibble at 15 or 0 (IQ4_NL levels 113 or -127, plus 128: 241 or 1) against quants at +-127: for IQ4_NL
        // four products of a lane reach 4 * 241 * 127, past what vpmaddubsw's 16-bit pairs hold; vpdpbusd sums them in
        // 32 bits.
        const int k = 256;
        var weights = new byte[Rows * k / 32 * IQ4_NLDot.BlockBytes];
        for (int block = 0; block < weights.Length / IQ4_NLDot.BlockBytes; block++)
        {
            var bytes = weights.AsSpan(block * IQ4_NLDot.BlockBytes, IQ4_NLDot.BlockBytes);
            BitConverter.TryWriteBytes(bytes, BitConverter.HalfToUInt16Bits((Half)(block % 3 == 0 ? -0.5f : 0.25f)));
            bytes[2..].Fill(block % 2 == 0 ? (byte)0xFF : (byte)0x00);
        }
        var x = new float[Tokens * k];
        for (int i = 0; i < x.Length; i++)
            x[i] = (i / 32 % 3 == 0 ? -1f : 1f) * 4f;
        AssertTileMatchesScalar(type, weights, x, k, $"{type} extremes");
    }

    [Fact]
    public void Offsets_for_levels_plus_128_are_16_times_the_plain_ones()
    {
        var random = new TestRandom();
        const int k = 3 * NibbleActivations.GroupSize;
        var x = random.Floats(k, 4f);
        var plain = new byte[k / NibbleActivations.GroupSize * NibbleActivations.GroupBytes];
        var biased = new byte[plain.Length];
        fixed (float* source = x)
        fixed (byte* p = plain)
        fixed (byte* b = biased)
        {
            NibbleActivations.Quantize(source, k, p);
            NibbleActivations.QuantizeForLevelsPlus128(source, k, b);
        }
        for (int group = 0; group < k / NibbleActivations.GroupSize; group++)
        {
            var plainGroup = plain.AsSpan(group * NibbleActivations.GroupBytes, NibbleActivations.GroupBytes);
            var biasedGroup = biased.AsSpan(group * NibbleActivations.GroupBytes, NibbleActivations.GroupBytes);
            Assert.True(plainGroup[..NibbleActivations.SumOffset].SequenceEqual(biasedGroup[..NibbleActivations.SumOffset]), $"quants of group {group}");
            Assert.True(plainGroup[NibbleActivations.ScaleOffset..].SequenceEqual(biasedGroup[NibbleActivations.ScaleOffset..]), $"scales of group {group}");
            for (int lane = 0; lane < 16; lane++)
            {
                int at = NibbleActivations.SumOffset + 4 * lane;
                Assert.Equal(16 * BitConverter.ToInt32(plainGroup[at..]), BitConverter.ToInt32(biasedGroup[at..]));
            }
        }
    }

    [Fact]
    public void Q4_0_and_IQ4_NL_decode_and_batches_below_the_panel_take_it_where_it_runs()
    {
        foreach (var (type, tile) in new[] { (GgmlType.Q4_0, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&NibbleVnniTile.TileQ4_0),
            (GgmlType.IQ4_NL, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&NibbleVnniTile.TileIQ4_NL) })
        {
            Assert.True(QuantKernels.TryGet(type, 2048, out var packed));
            Assert.Equal(NibbleVnniTile.IsSupported, (nint)packed.Tile == tile);
            Assert.Equal(NibbleVnniTile.IsSupported, (nint)packed.Dot == (type == GgmlType.Q4_0
                ? (nint)(delegate*<byte*, byte*, int, float>)&NibbleVnniTile.DotQ4_0
                : (nint)(delegate*<byte*, byte*, int, float>)&NibbleVnniTile.DotIQ4_NL));
            Assert.Equal(NibbleVnniTile.IsSupported, (nint)packed.Tile2 == (type == GgmlType.Q4_0
                ? (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&NibbleVnniTile.Tile2Q4_0
                : (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&NibbleVnniTile.Tile2IQ4_NL));
            if (NibbleVnniTile.IsSupported)
            {
                Assert.True(QuantKernels.TryGetForMatMul(type, 2048, 4, out var forFour));
                Assert.True((nint)forFour.Tile == tile, $"{type}");
            }
        }
        Assert.True(QuantKernels.TryGet(GgmlType.IQ4_NL, out var plain));
        if (IsaSupport.Avx2)
            Assert.Equal(NibbleVnniTile.IsSupported ? 8 : 4, plain.PanelMinTokens);
    }

    /// <summary>Rows of k values of <paramref name="type"/> quantized from <paramref name="values"/>.</summary>
    private static byte[] Weights(GgmlType type, float[] values, int k)
    {
        var weights = new byte[GgmlTypeTraits.Of(type).BytesFor((long)Rows * k)];
        Quantization.Quantize(type, values, weights);
        return weights;
    }

    private static void AssertTileMatchesScalar(GgmlType type, byte[] weights, float[] x, int k, string what)
    {
        bool iq4nl = type == GgmlType.IQ4_NL;
        int rowBytes = weights.Length / Rows;
        int plainBytes = (int)GgmlTypeTraits.Of(GgmlType.Q8_0).BytesFor(k), packedBytes = k / NibbleActivations.GroupSize * NibbleActivations.GroupBytes;
        var plain = new byte[Tokens * plainBytes];
        var packed = new byte[Tokens * packedBytes];
        var y = new float[Tokens * Rows];
        var two = new float[Tokens * Rows];
        Array.Fill(two, float.NaN);
        fixed (byte* w = weights)
        fixed (float* xs = x)
        fixed (byte* a = plain)
        fixed (byte* p = packed)
        fixed (float* ys = y)
        fixed (float* twos = two)
        {
            for (int t = 0; t < Tokens; t++)
            {
                Quantization.Quantize(GgmlType.Q8_0, x.AsSpan(t * k, k), plain.AsSpan(t * plainBytes, plainBytes));
                if (iq4nl)
                    NibbleActivations.QuantizeForLevelsPlus128(xs + t * k, k, p + t * packedBytes);
                else
                    NibbleActivations.Quantize(xs + t * k, k, p + t * packedBytes);
            }
            // The four-token entry, and the two-token one over the first two tokens (the last two outputs untouched).
            if (iq4nl)
            {
                NibbleVnniTile.TileIQ4_NL(w, rowBytes, p, packedBytes, k, ys, Rows);
                NibbleVnniTile.Tile2IQ4_NL(w, rowBytes, p, packedBytes, k, twos, Rows);
            }
            else
            {
                NibbleVnniTile.TileQ4_0(w, rowBytes, p, packedBytes, k, ys, Rows);
                NibbleVnniTile.Tile2Q4_0(w, rowBytes, p, packedBytes, k, twos, Rows);
            }
            for (int t = 0; t < Tokens; t++)
            {
                for (int r = 0; r < Rows; r++)
                {
                    float expected = iq4nl ? IQ4_NLDot.DotScalar(w + r * rowBytes, a + t * plainBytes, k) : Q4_0Dot.DotScalar(w + r * rowBytes, a + t * plainBytes, k);
                    double magnitude = Magnitude(type, w + r * rowBytes, a + t * plainBytes, k);
                    float got = ys[t * Rows + r];
                    Assert.True(Tolerances.Relative(got, expected, magnitude) <= Tolerances.SimdVsScalar,
                        $"{what} row {r} token {t}: {got} vs scalar {expected}");
                    float dot = iq4nl ? NibbleVnniTile.DotIQ4_NL(w + r * rowBytes, p + t * packedBytes, k) : NibbleVnniTile.DotQ4_0(w + r * rowBytes, p + t * packedBytes, k);
                    Assert.True(Tolerances.Relative(dot, expected, magnitude) <= Tolerances.SimdVsScalar,
                        $"{what} decode dot, row {r} token {t}: {dot} vs scalar {expected}");
                    if (t < 2)
                        Assert.True(Tolerances.Relative(two[t * Rows + r], expected, magnitude) <= Tolerances.SimdVsScalar,
                            $"{what} two tokens, row {r} token {t}: {two[t * Rows + r]} vs scalar {expected}");
                    else
                        Assert.True(float.IsNaN(two[t * Rows + r]), $"{what} two tokens wrote token {t}");
                }
            }
        }
    }

    /// <summary>Σ |d_w d_x level q| of a row and a token, the scale the float sums work at.</summary>
    private static double Magnitude(GgmlType type, byte* row, byte* activations, int k)
    {
        double sum = 0;
        for (int b = 0; b < k / 32; b++)
        {
            byte* block = row + b * IQ4_NLDot.BlockBytes, a = activations + b * 34;
            double scale = Math.Abs((double)BitConverter.UInt16BitsToHalf(*(ushort*)block) * (double)BitConverter.UInt16BitsToHalf(*(ushort*)a));
            for (int j = 0; j < 16; j++)
            {
                sum += scale * (Math.Abs(Level(type, block[2 + j] & 0x0F) * ((sbyte*)a)[2 + j])
                    + Math.Abs(Level(type, block[2 + j] >> 4) * ((sbyte*)a)[18 + j]));
            }
        }
        return sum;
    }

    private static int Level(GgmlType type, int nibble) => type == GgmlType.IQ4_NL ? IQ4_NLDot.Table[nibble] : nibble - 8;
}

/// <summary>Runs only where <see cref="NibbleVnniTile"/> can run (AVX-512 with VBMI and VNNI, Linux x86-64), and says so otherwise.</summary>
public sealed class Vnni512TheoryAttribute : TheoryAttribute
{
    public Vnni512TheoryAttribute()
    {
        if (!NibbleVnniTile.IsSupported)
            Skip = "512-bit vpdpbusd does not run here (no AVX512-VNNI or VBMI, AVX-512 off in the runtime, or no executable pages)";
    }
}
