using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Quants.IQ4_NL;
using Tessera.Kernels.Quants.Q5_0;
using Tessera.Kernels.Quants.Q2_K;
using Tessera.Kernels.Quants.Q3_K;
using Tessera.Kernels.Quants.Q5_K;
using Tessera.Kernels.Quants.Q6_K;
using Tessera.Kernels.Quants.Q8_K;
using Tessera.Kernels.Quants.Nibbles;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Kernels.Quants.Q4_K;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The kernels over rearranged activations (packed Q4_0, IQ4_NL and Q4_K, the AVX2 Q4_0 and IQ4_NL octet dots, and the Q8_0 float tile
/// over dequantized ones):
/// the activations carry exactly the reference's quants and scales, and every dot, tile and four-token kernel agrees
/// with the type's scalar dot over the plain activation layout.
/// </summary>
public sealed unsafe class PackedKernelTests
{
    /// <summary>Group counts 1..12 (every tail of the two-group loop) plus TinyLlama's row lengths.</summary>
    private static IEnumerable<int> Lengths(PackedPath path) =>
        Enumerable.Range(1, 12).Select(g => g * path.GroupSize).Concat(new[] { 2048, 5632 }.Where(k => k % path.GroupSize == 0));

    /// <summary>Why the rows of <see cref="LackedPaths"/> are skipped.</summary>
    private const string LackedReason = "this CPU or runtime cannot run the path (the packed Q4_0, IQ4_NL, Q5_0, Q4_K and Q5_K dots "
        + "need AVX-512 BW and VBMI, the Q2_K, Q3_K and Q6_K ones AVX-512 BW, the Q8_0 float tile AVX-512, the others AVX2 or F16C "
        + "machine code); the file-layout kernels run instead";

    /// <summary>The nibble kernels' activation layouts: blocks per group, scale factor, quantizer.</summary>
    public static TheoryData<int, float, nint> NibbleLayouts => new()
    {
        { NibbleActivations.BlocksPerGroup, Numerics.HalfBits.ExponentRebias, (nint)(delegate*<float*, int, byte*, void>)&NibbleActivations.Quantize },
        { PairActivations.BlocksPerGroup, 1f, (nint)(delegate*<float*, int, byte*, void>)&PairActivations.Quantize },
    };

    [Theory]
    [MemberData(nameof(NibbleLayouts))]
    public void Rearranged_activations_hold_the_q8_0_quants_sums_and_scales(int blocksPerGroup, float scaleFactor, nint quantizer)
    {
        // Per group of B blocks: low quants [16 B], high quants [16 B], int32 offsets [4 B], float scales [4 B].
        int groupBytes = 64 * blocksPerGroup, sumOffset = 32 * blocksPerGroup, scaleOffset = 48 * blocksPerGroup;
        Assert.Equal(blocksPerGroup == 4 ? NibbleActivations.GroupBytes : PairActivations.GroupBytes, groupBytes);
        var random = new TestRandom();
        int k = 3 * 32 * blocksPerGroup;
        var x = random.Floats(k, 4f);
        var reference = new byte[GgmlTypeTraits.Of(GgmlType.Q8_0).BytesFor(k)];
        Quantization.Quantize(GgmlType.Q8_0, x, reference);
        var packed = new byte[k / (32 * blocksPerGroup) * groupBytes];
        fixed (float* source = x)
        fixed (byte* destination = packed)
            ((delegate*<float*, int, byte*, void>)quantizer)(source, k, destination);
        for (int block = 0; block < k / 32; block++)
        {
            int group = block / blocksPerGroup, b = block % blocksPerGroup;
            var bytes = packed.AsSpan(group * groupBytes, groupBytes);
            var quants = reference.AsSpan(block * 34 + 2, 32);
            var sums = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes[sumOffset..scaleOffset]);
            var scales = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes[scaleOffset..]);
            float d = (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(reference, block * 34));
            for (int lane = 0; lane < 4; lane++)
            {
                int expected = 0;
                for (int j = 4 * lane; j < 4 * lane + 4; j++)
                {
                    Assert.Equal(quants[j], bytes[16 * b + j]);
                    Assert.Equal(quants[j + 16], bytes[16 * blocksPerGroup + 16 * b + j]);
                    expected += (sbyte)quants[j] + (sbyte)quants[j + 16];
                }
                Assert.Equal(8 * expected, sums[4 * b + lane]);
                Assert.Equal(d * scaleFactor, scales[4 * b + lane]);
            }
        }
    }

    [Fact]
    public void Octet_activations_hold_the_q8_0_quants_in_step_order_and_end_in_pair_groups()
    {
        // Two octets of eight blocks, then three pair groups (the tail of a row that is no multiple of 256).
        var random = new TestRandom();
        const int octets = 2, pairs = 3, k = octets * OctetActivations.GroupSize + pairs * PairActivations.GroupSize;
        var x = random.Floats(k, 4f);
        var reference = new byte[GgmlTypeTraits.Of(GgmlType.Q8_0).BytesFor(k)];
        Quantization.Quantize(GgmlType.Q8_0, x, reference);
        var packed = new byte[k / PairActivations.GroupSize * PairActivations.GroupBytes];
        Array.Fill(packed, (byte)0xA5);
        var tail = new byte[pairs * PairActivations.GroupBytes];
        fixed (float* source = x)
        fixed (byte* destination = packed)
        fixed (byte* tailDestination = tail)
        {
            OctetActivations.Quantize(source, k, destination);
            PairActivations.Quantize(source + octets * OctetActivations.GroupSize, pairs * PairActivations.GroupSize, tailDestination);
        }
        for (int block = 0; block < octets * OctetActivations.BlocksPerGroup; block++)
        {
            int b = block % OctetActivations.BlocksPerGroup, lane = b % 2 * 4 + b / 2;
            var group = packed.AsSpan(block / OctetActivations.BlocksPerGroup * OctetActivations.GroupBytes, OctetActivations.GroupBytes);
            var quants = reference.AsSpan(block * 34 + 2, 32);
            int step = b / 2 * OctetActivations.StepBytes + b % 2 * 16;
            Assert.True(quants[..16].SequenceEqual(group.Slice(step, 16)), $"low quants of block {block}");
            Assert.True(quants[16..].SequenceEqual(group.Slice(step + OctetActivations.HighOffset, 16)), $"high quants of block {block}");
            int sum = 0;
            foreach (byte q in quants)
                sum += (sbyte)q;
            Assert.Equal(8 * sum, BitConverter.ToInt32(group[(OctetActivations.SumOffset + 4 * lane)..]));
            float d = (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(reference, block * 34));
            Assert.Equal(d * HalfBits.ExponentRebias, BitConverter.ToSingle(group[(OctetActivations.ScaleOffset + 4 * lane)..]));
            Assert.True(group[(OctetActivations.ScaleOffset + 32)..].IndexOfAnyExcept((byte)0) < 0, "the padding is zeros");
        }
        Assert.True(tail.AsSpan().SequenceEqual(packed.AsSpan(octets * OctetActivations.GroupBytes, tail.Length)), "the pair groups of the tail");
    }

    /// <summary>IQ4_NL's octet dot reads |x| beside each quant: every group with magnitudes is the plain group, then the
    /// magnitudes of its quants in the same order (octets: 512 + 256 bytes, the tail's pairs: 128 + 64).</summary>
    [Fact]
    public void Octet_activations_with_magnitudes_add_each_quants_magnitude_after_the_plain_group()
    {
        var random = new TestRandom();
        const int octets = 2, pairs = 3, k = octets * OctetActivations.GroupSize + pairs * PairActivations.GroupSize;
        var x = random.Floats(k, 4f);
        x.AsSpan(64, 32).Clear();   // a block of zeros: quants and magnitudes 0
        var plain = new byte[k / PairActivations.GroupSize * PairActivations.GroupBytes];
        var withMagnitudes = new byte[k / PairActivations.GroupSize * PairActivations.MagnitudeGroupBytes];
        Array.Fill(withMagnitudes, (byte)0xA5);
        fixed (float* source = x)
        fixed (byte* p = plain)
        fixed (byte* m = withMagnitudes)
        {
            OctetActivations.Quantize(source, k, p);
            OctetActivations.QuantizeWithMagnitudes(source, k, m);
        }
        void Check(int plainAt, int at, int groupBytes, int values, string what)
        {
            Assert.True(plain.AsSpan(plainAt, groupBytes).SequenceEqual(withMagnitudes.AsSpan(at, groupBytes)), $"{what}: the plain group");
            for (int i = 0; i < values; i++)
                Assert.True(Math.Abs((sbyte)plain[plainAt + i]) == withMagnitudes[at + groupBytes + i], $"{what}: magnitude {i}");
        }
        for (int g = 0; g < octets; g++)
            Check(g * OctetActivations.GroupBytes, g * OctetActivations.MagnitudeGroupBytes, OctetActivations.GroupBytes, OctetActivations.GroupSize, $"octet {g}");
        for (int g = 0; g < pairs; g++)
            Check(octets * OctetActivations.GroupBytes + g * PairActivations.GroupBytes,
                octets * OctetActivations.MagnitudeGroupBytes + g * PairActivations.MagnitudeGroupBytes, PairActivations.GroupBytes, PairActivations.GroupSize, $"pair {g}");
        Assert.Contains(withMagnitudes, b => b == 127);
    }

    /// <summary>Every nibble at 15 (Q5_0: every fifth bit set too) against quants at +-127, block signs varying: Q4_0's
    /// int16 partials reach their bound (four steps' words add to 4 * 2 * 2 * 15 * 127 = 30480 before vpmaddwd),
    /// Q5_0's after its one round of vphaddw (2 * 2 * 2 * 31 * 127 = 31496), IQ4_NL's levels 113 against 127.</summary>
    [Avx2Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.Q5_0)]
    public void Octet_dot_sums_extreme_nibbles_and_quants_exactly(GgmlType type)
    {
        const int k = 2 * OctetActivations.GroupSize + PairActivations.GroupSize;
        int blockBytes = type == GgmlType.Q5_0 ? Q5_0Dot.BlockBytes : Q4_0Dot.BlockBytes;
        var weights = new byte[k / 32 * blockBytes];
        var x = new float[k];
        for (int block = 0; block < k / 32; block++)
        {
            var bytes = weights.AsSpan(block * blockBytes, blockBytes);
            BitConverter.TryWriteBytes(bytes, BitConverter.HalfToUInt16Bits((Half)(block % 3 == 0 ? -0.5f : 0.25f)));
            bytes[2..].Fill(block % 5 == 4 ? (byte)0x00 : (byte)0xFF);   // Q5_0: its qh bytes too
            x.AsSpan(32 * block, 32).Fill(block / 8 % 2 == 0 ? 4f : -4f);
        }
        var plain = new byte[GgmlTypeTraits.Of(GgmlType.Q8_0).BytesFor(k)];
        Quantization.Quantize(GgmlType.Q8_0, x, plain);
        var octets = new byte[k / PairActivations.GroupSize * PairActivations.MagnitudeGroupBytes];
        fixed (float* source = x)
        fixed (byte* destination = octets)
        {
            if (type == GgmlType.IQ4_NL)
                OctetActivations.QuantizeWithMagnitudes(source, k, destination);
            else
                OctetActivations.Quantize(source, k, destination);
        }
        fixed (byte* w = weights)
        fixed (byte* a = plain)
        fixed (byte* o = octets)
        {
            var (scalar, got) = type switch
            {
                GgmlType.Q4_0 => (Q4_0Dot.DotScalar(w, a, k), NibbleOctetDot<Q4_0NibbleLevels>.Dot(w, o, k)),
                GgmlType.IQ4_NL => (IQ4_NLDot.DotScalar(w, a, k), NibbleOctetDot<IQ4_NLNibbleLevels>.Dot(w, o, k)),
                _ => (Q5_0Dot.DotScalar(w, a, k), Q5_0OctetDot.Dot(w, o, k)),
            };
            Assert.True(Math.Abs(got - scalar) <= 1e-5 * Math.Abs(scalar), $"{type}: {got} vs scalar {scalar}");
            if (type != GgmlType.Q5_0)
            {
                // The four-token form over the same activations four times (stride 0): the same bound per token.
                var four = stackalloc float[4];
                if (type == GgmlType.Q4_0)
                    NibbleOctetDot<Q4_0NibbleLevels>.DotMany<FourTokens>(w, o, 0, k, four);
                else
                    NibbleOctetDot<IQ4_NLNibbleLevels>.DotMany<FourTokens>(w, o, 0, k, four);
                for (int t = 0; t < 4; t++)
                    Assert.Equal(got, four[t]);
            }
        }
    }

    /// <summary>The octet dot's four-, three- and two-token forms prepare each step's nibbles and gather the weight scales
    /// once for their tokens: their results must be the single-token dot's, bit for bit, for every octet count and pair
    /// tail, with the activation rows a stride apart wider than a row.</summary>
    [Avx2Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.IQ4_NL)]
    public void Octet_four_three_and_two_token_dots_equal_single_token_dots(GgmlType type)
    {
        var path = AllPaths.First(p => p.Type == type && p.GroupSize == PairActivations.GroupSize);
        var dot = (delegate*<byte*, byte*, int, float>)path.PackedDot;
        var dot4 = (delegate*<byte*, byte*, nint, int, float*, void>)path.Dot4;
        var random = new TestRandom();
        foreach (int k in Lengths(path))
        {
            var (weights, _, packed, _) = Inputs(path, k, 1, 4, random);
            int stride = packed[0].Length + 3 * path.GroupBytes;
            var activations = new byte[4 * stride];
            for (int t = 0; t < 4; t++)
                packed[t].CopyTo(activations, t * stride);
            var results = new float[4];
            fixed (byte* w = weights)
            fixed (byte* a = activations)
            fixed (float* r = results)
            {
                dot4(w, a, stride, k, r);
                for (int t = 0; t < 4; t++)
                    Assert.True(BitConverter.SingleToInt32Bits(dot(w, a + t * stride, k)) == BitConverter.SingleToInt32Bits(results[t]),
                        $"{type} k={k} token {t}: {results[t]} vs {dot(w, a + t * stride, k)} ({random})");
                // The two- and three-token forms over tokens 1 and 2, and 1-3.
                foreach (int tokens in new[] { 2, 3 })
                {
                    var many = (type, tokens) switch
                    {
                        (GgmlType.Q4_0, 2) => &NibbleOctetDot<Q4_0NibbleLevels>.DotMany<TwoTokens>,
                        (GgmlType.Q4_0, _) => &NibbleOctetDot<Q4_0NibbleLevels>.DotMany<ThreeTokens>,
                        (_, 2) => &NibbleOctetDot<IQ4_NLNibbleLevels>.DotMany<TwoTokens>,
                        _ => (delegate*<byte*, byte*, nint, int, float*, void>)&NibbleOctetDot<IQ4_NLNibbleLevels>.DotMany<ThreeTokens>,
                    };
                    many(w, a + stride, stride, k, r);
                    for (int t = 0; t < tokens; t++)
                        Assert.True(BitConverter.SingleToInt32Bits(dot(w, a + (t + 1) * stride, k)) == BitConverter.SingleToInt32Bits(results[t]),
                            $"{type} Dot{tokens} k={k} token {t + 1}: {results[t]} vs {dot(w, a + (t + 1) * stride, k)} ({random})");
                }
            }
        }
    }

    /// <summary>BF16's two- and three-token dots (batches of 2-3 tokens without AVX-512) widen each 32 weights once for
    /// their tokens and keep each token's sums as the 256-bit single-token dot does: the same bits for every token, the
    /// activation rows a stride apart wider than a row, every length from one block.</summary>
    [Avx2Fact]
    public void BF16_two_and_three_token_dots_equal_single_token_dots()
    {
        var path = AllPaths.First(p => p.Type == GgmlType.BF16);
        var random = new TestRandom();
        foreach (int k in Lengths(path))
        {
            var (weights, _, packed, _) = Inputs(path, k, 1, 3, random);
            int stride = packed[0].Length + 3 * 32;
            var activations = new byte[3 * stride];
            for (int t = 0; t < 3; t++)
                packed[t].CopyTo(activations, t * stride);
            var results = new float[3];
            fixed (byte* w = weights)
            fixed (byte* a = activations)
            fixed (float* r = results)
            {
                foreach (int tokens in new[] { 2, 3 })
                {
                    if (tokens == 2)
                        BF16SplitDot.DotMany<TwoTokens>(w, a, stride, k, r);
                    else
                        BF16SplitDot.DotMany<ThreeTokens>(w, a, stride, k, r);
                    for (int t = 0; t < tokens; t++)
                    {
                        float single = BF16SplitDot.Dot256(w, a + t * stride, k);
                        Assert.True(BitConverter.SingleToInt32Bits(single) == BitConverter.SingleToInt32Bits(results[t]),
                            $"Dot{tokens} k={k} token {t}: {results[t]} vs {single} ({random})");
                    }
                }
            }
        }
    }

    [Fact]
    public void Sub_block_activations_hold_the_q8_k_quants_in_nibble_order()
    {
        var random = new TestRandom();
        const int k = 2 * SubBlockActivations.BlockSize;
        var x = random.Floats(k, 3f);
        var reference = new byte[GgmlTypeTraits.Of(GgmlType.Q8_K).BytesFor(k)];
        Quantization.Quantize(GgmlType.Q8_K, x, reference);
        var packed = new byte[k / SubBlockActivations.BlockSize * SubBlockActivations.BlockBytes];
        fixed (float* source = x)
        fixed (byte* destination = packed)
            SubBlockActivations.Quantize(source, k, destination);
        for (int block = 0; block < k / 256; block++)
        {
            var q = reference.AsSpan(block * 292 + 4, 256);
            var group = packed.AsSpan(block * SubBlockActivations.BlockBytes, SubBlockActivations.BlockBytes);
            float d = BitConverter.ToSingle(reference, block * 292);
            Assert.Equal(d, BitConverter.ToSingle(group[SubBlockActivations.ScaleOffset..]));
            for (int j = 0; j < 8; j++)
            {
                // A 64-byte load of Q4_K nibbles covers sub-blocks {0,2}|{1,3} (low|high nibbles), then {4,6}|{5,7}.
                int start = 64 * (j / 4 * 2 + j % 2) + 32 * (j / 2 % 2);
                Assert.True(q.Slice(32 * j, 32).SequenceEqual(group.Slice(start, 32)), $"sub-block {j} of block {block}");
                int sum = 0;
                foreach (byte value in q.Slice(32 * j, 32))
                    sum += (sbyte)value;
                Assert.Equal(d * sum, BitConverter.ToSingle(group[(SubBlockActivations.SumsOffset + 4 * j)..]));
            }
        }
    }

    [Fact]
    public void Crumb_activations_hold_the_q8_k_quants_in_plane_order()
    {
        var random = new TestRandom();
        const int k = 2 * CrumbActivations.BlockSize;
        var x = random.Floats(k, 3f);
        var reference = new byte[GgmlTypeTraits.Of(GgmlType.Q8_K).BytesFor(k)];
        Quantization.Quantize(GgmlType.Q8_K, x, reference);
        var packed = new byte[k / CrumbActivations.BlockSize * CrumbActivations.BlockBytes];
        fixed (float* source = x)
        fixed (byte* destination = packed)
            CrumbActivations.Quantize(source, k, destination);
        for (int block = 0; block < k / 256; block++)
        {
            var q = reference.AsSpan(block * 292 + 4, 256);
            var group = packed.AsSpan(block * CrumbActivations.BlockBytes, CrumbActivations.BlockBytes);
            float d = BitConverter.ToSingle(reference, block * 292);
            Assert.Equal(d, BitConverter.ToSingle(group[CrumbActivations.ScaleOffset..]));
            for (int j = 0; j < 4; j++)
            {
                // Row j: values 32j.. then 128 + 32j.., the two halves' values a 2j-bit shift of the level bytes holds.
                Assert.True(q.Slice(32 * j, 32).SequenceEqual(group.Slice(64 * j, 32)), $"row {j} low of block {block}");
                Assert.True(q.Slice(128 + 32 * j, 32).SequenceEqual(group.Slice(64 * j + 32, 32)), $"row {j} high of block {block}");
            }
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                foreach (byte value in q.Slice(16 * g, 16))
                    sum += (sbyte)value;
                Assert.Equal(d * sum, BitConverter.ToSingle(group[(CrumbActivations.SumsOffset + 4 * g)..]));
            }
        }
    }

    /// <summary>A packed path: its weight type, scalar reference dot over the plain activations, and the packed kernels.</summary>
    /// <summary>Tile is the 4x4 kernel, or 0 where the matmul uses the one-row, four-token Dot4 instead.</summary>
    public sealed record PackedPath(GgmlType Type, GgmlType ActivationType, int GroupSize, int GroupBytes, bool IsSupported,
        nint ScalarDot, nint PackedDot, nint Tile, nint Dot4, nint Quantize)
    {
        public override string ToString() => Type.ToString();
    }

    /// <summary>The paths this CPU runs; <see cref="LackedPaths"/> are the others, reported as skipped.</summary>
    public static TheoryData<PackedPath> Paths => Where(AllPaths, path => path.IsSupported);

    public static TheoryData<PackedPath> LackedPaths => Where(AllPaths, path => !path.IsSupported);

    private static TheoryData<PackedPath> Where(IEnumerable<PackedPath> paths, Func<PackedPath, bool> predicate)
    {
        var data = new TheoryData<PackedPath>();
        foreach (var path in paths.Where(predicate))
            data.Add(path);
        return data;
    }

    private static IEnumerable<PackedPath> AllPaths => new PackedPath[] {
        new PackedPath(GgmlType.Q4_0, GgmlType.Q8_0, NibbleActivations.GroupSize, NibbleActivations.GroupBytes, NibblePackedDot<Q4_0NibbleLevels>.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q4_0Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&NibblePackedDot<Q4_0NibbleLevels>.Dot,
            (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&NibblePackedDot<Q4_0NibbleLevels>.Tile, 0, (nint)(delegate*<float*, int, byte*, void>)&NibbleActivations.Quantize),
        new PackedPath(GgmlType.Q4_0, GgmlType.Q8_0, PairActivations.GroupSize, PairActivations.GroupBytes, NibbleOctetDot<Q4_0NibbleLevels>.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q4_0Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&NibbleOctetDot<Q4_0NibbleLevels>.Dot,
            0, (nint)(delegate*<byte*, byte*, nint, int, float*, void>)&NibbleOctetDot<Q4_0NibbleLevels>.DotMany<FourTokens>, (nint)(delegate*<float*, int, byte*, void>)&OctetActivations.Quantize),
        new PackedPath(GgmlType.IQ4_NL, GgmlType.Q8_0, NibbleActivations.GroupSize, NibbleActivations.GroupBytes, NibblePackedDot<IQ4_NLNibbleLevels>.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&IQ4_NLDot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&NibblePackedDot<IQ4_NLNibbleLevels>.Dot,
            (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&NibblePackedDot<IQ4_NLNibbleLevels>.Tile, 0, (nint)(delegate*<float*, int, byte*, void>)&NibbleActivations.Quantize),
        new PackedPath(GgmlType.IQ4_NL, GgmlType.Q8_0, PairActivations.GroupSize, PairActivations.MagnitudeGroupBytes, NibbleOctetDot<IQ4_NLNibbleLevels>.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&IQ4_NLDot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&NibbleOctetDot<IQ4_NLNibbleLevels>.Dot,
            0, (nint)(delegate*<byte*, byte*, nint, int, float*, void>)&NibbleOctetDot<IQ4_NLNibbleLevels>.DotMany<FourTokens>, (nint)(delegate*<float*, int, byte*, void>)&NibbleOctetDot<IQ4_NLNibbleLevels>.QuantizeActivations),
        new PackedPath(GgmlType.Q5_0, GgmlType.Q8_0, NibbleActivations.GroupSize, NibbleActivations.GroupBytes, Q5_0PackedDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q5_0Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q5_0PackedDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&NibbleActivations.Quantize),
        new PackedPath(GgmlType.Q5_0, GgmlType.Q8_0, PairActivations.GroupSize, PairActivations.GroupBytes, Q5_0OctetDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q5_0Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q5_0OctetDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&OctetActivations.Quantize),
        new PackedPath(GgmlType.F16, GgmlType.F32, F16SplitDot.BlockSize, F16SplitDot.BlockSize * sizeof(float), F16SplitDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&F16Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&F16SplitDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&F16SplitDot.Prepare),
        new PackedPath(GgmlType.F16, GgmlType.F32, F16cDot.BlockSize, F16cDot.BlockSize * sizeof(float), F16cDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&F16Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&F16cDot.Dot,
            0, (nint)(delegate*<byte*, byte*, nint, int, float*, void>)&F16cDot.Dot4, (nint)(delegate*<float*, int, byte*, void>)&F16cDot.Prepare),
        new PackedPath(GgmlType.BF16, GgmlType.F32, BF16SplitDot.BlockSize, BF16SplitDot.BlockSize * sizeof(float), BF16SplitDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&BF16Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&BF16SplitDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&BF16SplitDot.Prepare),
        new PackedPath(GgmlType.Q4_K, GgmlType.Q8_K, SubBlockActivations.BlockSize, SubBlockActivations.BlockBytes, Q4_KPackedDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q4_KDot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q4_KPackedDot.Dot,
            0, (nint)(delegate*<byte*, byte*, nint, int, float*, void>)&Q4_KPackedDot.Dot4, (nint)(delegate*<float*, int, byte*, void>)&SubBlockActivations.Quantize),
        new PackedPath(GgmlType.Q5_K, GgmlType.Q8_K, SubBlockActivations.BlockSize, SubBlockActivations.BlockBytes, Q5_KPackedDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q5_KDot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q5_KPackedDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&SubBlockActivations.Quantize),
        new PackedPath(GgmlType.Q2_K, GgmlType.Q8_K, CrumbActivations.BlockSize, CrumbActivations.BlockBytes, Q2_KPackedDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q2_KDot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q2_KPackedDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&CrumbActivations.Quantize),
        new PackedPath(GgmlType.Q3_K, GgmlType.Q8_K, CrumbActivations.BlockSize, CrumbActivations.BlockBytes, Q3_KPackedDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q3_KDot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q3_KPackedDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&CrumbActivations.Quantize),
        new PackedPath(GgmlType.Q6_K, GgmlType.Q8_K, Q8_KActivations.BlockSize, Q8_KActivations.BlockBytes, Q6_KPackedDot.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q6_KDot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q6_KPackedDot.Dot,
            0, 0, (nint)(delegate*<float*, int, byte*, void>)&Q8_KActivations.Quantize),
        new PackedPath(GgmlType.Q8_0, GgmlType.Q8_0, 32, Q8_0FloatTile.ActivationBlockBytes, Q8_0FloatTile.IsSupported,
            (nint)(delegate*<byte*, byte*, int, float>)&Q8_0Dot.DotScalar, (nint)(delegate*<byte*, byte*, int, float>)&Q8_0FloatTile.Dot,
            (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&Q8_0FloatTile.Tile, 0, (nint)(delegate*<float*, int, byte*, void>)&Q8_0FloatTile.Quantize) };

    [Theory]
    [MemberData(nameof(Paths))]
    [MemberData(nameof(LackedPaths), Skip = LackedReason)]
    public void Packed_dot_matches_the_scalar_dot(PackedPath path)
    {
        var random = new TestRandom();
        var scalarDot = (delegate*<byte*, byte*, int, float>)path.ScalarDot;
        var packedDot = (delegate*<byte*, byte*, int, float>)path.PackedDot;
        foreach (int k in Lengths(path))
        {
            var (weights, plain, packed, magnitude) = Inputs(path, k, 1, 1, random);
            fixed (byte* w = weights)
            fixed (byte* a = plain[0])
            fixed (byte* p = packed[0])
            {
                float scalar = scalarDot(w, a, k);
                float got = packedDot(w, p, k);
                double error = Tolerances.Relative(got, scalar, magnitude[0, 0]);
                Assert.True(error <= Tolerances.SimdVsScalar, $"{path.Type} k={k}: {got} vs scalar {scalar}, relative error {error:E2} ({random})");
            }
        }
    }

    /// <summary>The paths with a many-token kernel.</summary>
    public static TheoryData<PackedPath> TilePaths => Where(AllPaths, path => path.IsSupported && HasManyTokenKernel(path));

    public static TheoryData<PackedPath> LackedTilePaths => Where(AllPaths, path => !path.IsSupported && HasManyTokenKernel(path));

    private static bool HasManyTokenKernel(PackedPath path) => path.Tile != 0 || path.Dot4 != 0;

    [Theory]
    [MemberData(nameof(TilePaths))]
    [MemberData(nameof(LackedTilePaths), Skip = LackedReason)]
    public void Packed_tile_or_four_token_kernel_matches_the_scalar_dot(PackedPath path)
    {
        var random = new TestRandom();
        var tile = (delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)path.Tile;
        var dot4 = (delegate*<byte*, byte*, nint, int, float*, void>)path.Dot4;

        foreach (int k in Lengths(path))
        {
            var (weights, plain, packed, magnitude) = Inputs(path, k, 4, 4, random);
            int rowBytes = weights.Length / 4, stride = packed[0].Length;
            var activations = packed.SelectMany(a => a).ToArray();
            var y = new float[16];
            var fourTokens = new float[4];
            fixed (byte* w = weights)
            fixed (byte* a = activations)
            fixed (float* result = y)
            fixed (float* row = fourTokens)
            {
                if (tile != null)
                    tile(w, rowBytes, a, stride, k, result, 4);
                else
                {
                    for (int r = 0; r < 4; r++)
                    {
                        dot4(w + r * rowBytes, a, stride, k, row);
                        for (int t = 0; t < 4; t++)
                            result[t * 4 + r] = row[t];
                    }
                }
            }
            AssertRowsMatchScalar(path, k, weights, plain, magnitude, y, random);
        }
    }

    [NibblePackedTheory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.IQ4_NL)]
    public void Nibble_two_token_tile_matches_the_scalar_dot(GgmlType type)
    {
        var path = AllPaths.First(p => p.Type == type && p.Tile != 0);
        var random = new TestRandom();
        foreach (int k in Lengths(path))
        {
            var (weights, plain, packed, magnitude) = Inputs(path, k, 4, 2, random);
            int rowBytes = weights.Length / 4, stride = packed[0].Length;
            var activations = packed.SelectMany(a => a).ToArray();
            var y = new float[2 * 4];
            fixed (byte* w = weights)
            fixed (byte* a = activations)
            fixed (float* result = y)
            {
                if (type == GgmlType.Q4_0)
                    NibblePackedDot<Q4_0NibbleLevels>.Tile2(w, rowBytes, a, stride, k, result, 4);
                else
                    NibblePackedDot<IQ4_NLNibbleLevels>.Tile2(w, rowBytes, a, stride, k, result, 4);
            }
            AssertRowsMatchScalar(path, k, weights, plain, magnitude, y, random);
        }
    }

    /// <summary>Inf and NaN weights (exponent 31), anywhere in a 32-half block, give the scalar dot's Inf or NaN (the
    /// F16C dot too, where it runs).</summary>
    [Avx2Theory]
    [InlineData(GgmlType.F16, (ushort)0x7C00)]    // +Inf
    [InlineData(GgmlType.F16, (ushort)0xFC00)]    // -Inf
    [InlineData(GgmlType.F16, (ushort)0x7E01)]    // NaN with a payload
    [InlineData(GgmlType.BF16, (ushort)0x7F80)]   // +Inf
    [InlineData(GgmlType.BF16, (ushort)0xFF80)]   // -Inf
    [InlineData(GgmlType.BF16, (ushort)0x7FC1)]   // NaN with a payload
    public void Split_dots_keep_infinities_and_nans(GgmlType type, ushort special)
    {
        bool half = type == GgmlType.F16;
        var random = new TestRandom();
        const int k = 96;
        foreach (int position in new[] { 0, 5, 16, 44, 95 })
        {
            var weights = new ushort[k];
            for (int i = 0; i < k; i++)
                weights[i] = half ? HalfConversion.ToHalf(random.Normal()) : (ushort)(BitConverter.SingleToUInt32Bits(random.Normal()) >> 16);
            weights[position] = special;
            var x = random.Floats(k);
            var prepared = new float[k];
            fixed (ushort* w = weights)
            fixed (float* a = x)
            fixed (float* p = prepared)
            {
                float scalar, split;
                if (half)
                {
                    F16SplitDot.Prepare(a, k, (byte*)p);
                    (scalar, split) = (F16Dot.DotScalar((byte*)w, (byte*)a, k), F16SplitDot.Dot((byte*)w, (byte*)p, k));
                    if (F16cDot.IsSupported)
                    {
                        float converted = F16cDot.Dot((byte*)w, (byte*)a, k);
                        Assert.True(float.IsNaN(scalar) ? float.IsNaN(converted) : converted == scalar,
                            $"F16C dot, special 0x{special:X4} at {position}: {converted} vs scalar {scalar} ({random})");
                    }
                }
                else
                {
                    BF16SplitDot.Prepare(a, k, (byte*)p);
                    (scalar, split) = (BF16Dot.DotScalar((byte*)w, (byte*)a, k), BF16SplitDot.Dot((byte*)w, (byte*)p, k));
                }
                Assert.True(float.IsNaN(scalar) ? float.IsNaN(split) : split == scalar,
                    $"{type} special 0x{special:X4} at {position}: {split} vs scalar {scalar} ({random})");
            }
        }
    }

    /// <summary>y[t * 4 + r] (four weight rows, one entry per token of <paramref name="plain"/>) against the scalar dot.</summary>
    private static void AssertRowsMatchScalar(PackedPath path, int k, byte[] weights, byte[][] plain, double[,] magnitude, float[] y, TestRandom random)
    {
        var scalarDot = (delegate*<byte*, byte*, int, float>)path.ScalarDot;
        int rowBytes = weights.Length / 4;
        for (int t = 0; t < plain.Length; t++)
        {
            for (int r = 0; r < 4; r++)
            {
                fixed (byte* w = weights)
                fixed (byte* a = plain[t])
                {
                    float scalar = scalarDot(w + r * rowBytes, a, k);
                    double error = Tolerances.Relative(y[t * 4 + r], scalar, magnitude[r, t]);
                    Assert.True(error <= Tolerances.SimdVsScalar, $"{path.Type} k={k} row {r} token {t}: {y[t * 4 + r]} vs scalar {scalar} ({random})");
                }
            }
        }
    }

    [NibblePackedFact]
    public void Matrix_kernels_take_the_packed_path_only_for_row_lengths_it_divides()
    {
        Assert.True(QuantKernels.TryGet(GgmlType.Q4_0, 3 * NibbleActivations.GroupSize, out var packed));
        Assert.Equal(NibbleActivations.GroupBytes, packed.ActivationBlockBytes);
        Assert.True(QuantKernels.TryGet(GgmlType.Q4_0, 5 * 32, out var plain));   // five blocks: not a whole group
        Assert.Equal(34, plain.ActivationBlockBytes);
        Assert.True(QuantKernels.TryGet(GgmlType.Q8_0, 3 * 32, out var plainQ8));
        Assert.Equal(34, plainQ8.ActivationBlockBytes);
        Assert.True(QuantKernels.TryGetForMatMul(GgmlType.Q8_0, 3 * 32, 8, out var floatTile));
        Assert.Equal(Q8_0FloatTile.ActivationBlockBytes, floatTile.ActivationBlockBytes);
        Assert.True(QuantKernels.TryGet(GgmlType.Q4_K, 2 * SubBlockActivations.BlockSize, out var subBlocks));
        Assert.Equal(SubBlockActivations.BlockBytes, subBlocks.ActivationBlockBytes);
    }

    /// <summary>
    /// Random rows (one 32-value block in each row zeroed, one scaled to a subnormal half scale for Q4_0, so those
    /// paths of the scale decoding run too) and activations in both layouts, with the sum of |products| per (row, token).
    /// </summary>
    private static (byte[] Weights, byte[][] Plain, byte[][] Packed, double[,] Magnitude) Inputs(PackedPath path, int k, int rows, int tokens, TestRandom random)
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
        var weights = new byte[GgmlTypeTraits.Of(path.Type).BytesFor((long)rows * k)];
        Quantization.Quantize(path.Type, values, weights);
        var dequantized = new float[rows * k];
        Quantization.Dequantize(path.Type, weights, dequantized);
        var quantize = (delegate*<float*, int, byte*, void>)path.Quantize;

        var plain = new byte[tokens][];
        var packed = new byte[tokens][];
        var magnitude = new double[rows, tokens];
        for (int t = 0; t < tokens; t++)
        {
            var x = random.Floats(k);
            plain[t] = new byte[GgmlTypeTraits.Of(path.ActivationType).BytesFor(k)];
            Quantization.Quantize(path.ActivationType, x, plain[t]);
            packed[t] = new byte[k / path.GroupSize * path.GroupBytes];
            fixed (float* source = x)
            fixed (byte* destination = packed[t])
                quantize(source, k, destination);
            var xq = new float[k];
            Quantization.Dequantize(path.ActivationType, plain[t], xq);
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < k; i++)
                    magnitude[r, t] += Math.Abs((double)dequantized[r * k + i] * xq[i]);
            }
        }
        return (weights, plain, packed, magnitude);
    }
}

/// <summary>Runs only where the 512-bit nibble kernels run (AVX-512 BW and VBMI on in the runtime), and says so otherwise.</summary>
public sealed class NibblePackedFactAttribute : FactAttribute
{
    public NibblePackedFactAttribute()
    {
        if (!NibblePackedDot<Q4_0NibbleLevels>.IsSupported)
            Skip = Reason;
    }

    internal const string Reason = "the 512-bit nibble kernels need AVX-512 BW and VBMI on in the runtime";
}

/// <summary>The theory form of <see cref="NibblePackedFactAttribute"/>.</summary>
public sealed class NibblePackedTheoryAttribute : TheoryAttribute
{
    public NibblePackedTheoryAttribute()
    {
        if (!NibblePackedDot<Q4_0NibbleLevels>.IsSupported)
            Skip = NibblePackedFactAttribute.Reason;
    }
}
