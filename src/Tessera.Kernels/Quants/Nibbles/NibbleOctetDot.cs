using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q4_0;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// 4-bit weights in Q4_0's block layout (Q4_0, IQ4_NL: <typeparamref name="TLevels"/> maps nibbles to levels) ·
/// <see cref="OctetActivations"/> with AVX2, straight from the file layout, eight blocks (144 weight bytes) per step:
/// <list type="number">
/// <item>four times, two blocks' nibble bytes in one register (block 2j low lane, 2j+1 high lane), and / shift+and
///   to nibbles 0..15, and the level type's partial sums with the matching activation halves (memory operands);</item>
/// <item>horizontal adds of the four partials leave one int32 lane per block (blocks 0, 2, 4, 6, 1, 3, 5, 7), minus the
///   activation's 8 Σ x where the levels need it;</item>
/// <item>the eight half scales, gathered with word inserts and sign-extended, become d * 2^-112 with a shift and a
///   mask (the activation scales carry the 2^112): acc += float(sums) * (d_w * d_x).</item>
/// </list>
/// The scale work is then once per eight blocks where the two-block step converted, broadcast and multiplied two
/// scales each time (18 instructions per 64 values; about 13 now for Q4_0, whose int16 partials need one vpmaddwd per
/// eight blocks instead of one per two). Rows of a length that is not a multiple of 256 end in two-block steps over
/// <see cref="PairActivations"/>. IQ4_NL's activations also carry each quant's magnitude (groups of 768 and 192
/// bytes, <see cref="INibbleLevels.ReadsMagnitudes"/>). Infinite or NaN weight scales are reproduced only there (a
/// quantizer never writes them). For decode (matvec), and with <see cref="DotMany{TTokens}"/> for Q4_0's batches below
/// the int8 panel's (two to four tokens share each step's nibbles and the weight scales); larger batches take the
/// panel matmul over the plain layout.
/// </summary>
internal static unsafe class NibbleOctetDot<TLevels> where TLevels : INibbleLevels
{
    /// <summary>The kernel table's block: two weight blocks (36 bytes), the pair layout's 64 values.</summary>
    public const int GroupBytes = PairActivations.BlocksPerGroup * Q4_0Dot.BlockBytes;   // 36
    private const int OctetBytes = 4 * GroupBytes;                                        // 144

    public static bool IsSupported => IsaSupport.Avx2;

    /// <summary>Activation bytes per octet group: with the quants' magnitudes where the level type reads them.</summary>
    private static int OctetGroupBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TLevels.ReadsMagnitudes ? OctetActivations.MagnitudeGroupBytes : OctetActivations.GroupBytes;
    }

    /// <summary>Activation bytes per pair group (64 values), the kernel table's activation block.</summary>
    public static int PairGroupBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TLevels.ReadsMagnitudes ? PairActivations.MagnitudeGroupBytes : PairActivations.GroupBytes;
    }

    /// <summary>x[k] to this dot's activation layout: <see cref="OctetActivations"/>, with the quants' magnitudes where
    /// the level type reads them.</summary>
    public static void QuantizeActivations(float* x, int k, byte* destination)
    {
        if (TLevels.ReadsMagnitudes)
            OctetActivations.QuantizeWithMagnitudes(x, k, destination);
        else
            OctetActivations.Quantize(x, k, destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;   // before the loop: its first access may call the class constructor
        var mask = Vector256.Create((byte)0x0F);
        var acc = Vector256<float>.Zero;
        int octets = k / OctetActivations.GroupSize;
        for (int o = 0; o < octets; o++, weights += OctetBytes, activations += OctetGroupBytes)
        {
            Memory.WeightPrefetch.Stream(weights, OctetBytes);
            acc = OctetStep(acc, weights, activations, mask);
        }
        for (int pair = 0; pair < k % OctetActivations.GroupSize / PairActivations.GroupSize;
             pair++, weights += GroupBytes, activations += PairGroupBytes)
        {
            acc = PairStep(acc, weights, activations, halfTable, mask);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>acc += float(Σ level x) * (d_w * d_x) for eight weight blocks and one octet activation group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> OctetStep(Vector256<float> acc, byte* w, byte* a, Vector256<byte> mask)
    {
        var p0 = Partials(w, a, mask);
        var p1 = Partials(w + GroupBytes, a + OctetActivations.StepBytes, mask);
        var p2 = Partials(w + 2 * GroupBytes, a + 2 * OctetActivations.StepBytes, mask);
        var p3 = Partials(w + 3 * GroupBytes, a + 3 * OctetActivations.StepBytes, mask);
        var sums = TLevels.SumHalves(TLevels.HalfSums(p0, p1), TLevels.HalfSums(p2, p3), (int*)(a + OctetActivations.SumOffset));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), OctetActivations.Scales(w, Q4_0Dot.BlockBytes, a), acc);
    }

    /// <summary>One weight row against two, three or four tokens' activations (<typeparamref name="TTokens"/>) a stride
    /// apart (batches of a few tokens, and the two or three left after four-token groups): each step's nibbles are
    /// prepared and the eight weight scales gathered once for all of them, which then take the step's products and the
    /// per-block work as <see cref="Dot"/> does. Same results as a call of <see cref="Dot"/> per token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotMany<TTokens>(byte* weights, byte* activations, nint stride, int k, float* results) where TTokens : ITokenCount
    {
        bool three = TTokens.Count >= 3, four = TTokens.Count == 4;
        float* halfTable = HalfBits.Table;
        var mask = Vector256.Create((byte)0x0F);
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int octets = k / OctetActivations.GroupSize;
        nint offset = 0;
        for (int o = 0; o < octets; o++, weights += OctetBytes, offset += OctetGroupBytes)
        {
            Memory.WeightPrefetch.Stream(weights, OctetBytes);
            // Steps 0 and 1, then 2 and 3: each token's first two partials are added before the next two steps' nibbles
            // are prepared, which keeps the live registers near the sixteen AVX2 has.
            var (l0, h0) = Prepared(weights, mask);
            var (l1, h1) = Prepared(weights + GroupBytes, mask);
            var s0 = FirstHalf(l0, h0, l1, h1, a0 + offset);
            var s1 = FirstHalf(l0, h0, l1, h1, a1 + offset);
            var s2 = three ? FirstHalf(l0, h0, l1, h1, a2 + offset) : default;
            var s3 = four ? FirstHalf(l0, h0, l1, h1, a3 + offset) : default;
            var (l2, h2) = Prepared(weights + 2 * GroupBytes, mask);
            var (l3, h3) = Prepared(weights + 3 * GroupBytes, mask);
            var scales = OctetActivations.WeightScales(weights, Q4_0Dot.BlockBytes);
            c0 = SecondHalf(c0, s0, l2, h2, l3, h3, scales, a0 + offset);
            c1 = SecondHalf(c1, s1, l2, h2, l3, h3, scales, a1 + offset);
            if (three)
                c2 = SecondHalf(c2, s2, l2, h2, l3, h3, scales, a2 + offset);
            if (four)
                c3 = SecondHalf(c3, s3, l2, h2, l3, h3, scales, a3 + offset);
        }
        for (int pair = 0; pair < k % OctetActivations.GroupSize / PairActivations.GroupSize;
             pair++, weights += GroupBytes, offset += PairGroupBytes)
        {
            c0 = PairStep(c0, weights, a0 + offset, halfTable, mask);
            c1 = PairStep(c1, weights, a1 + offset, halfTable, mask);
            if (three)
                c2 = PairStep(c2, weights, a2 + offset, halfTable, mask);
            if (four)
                c3 = PairStep(c3, weights, a3 + offset, halfTable, mask);
        }
        results[0] = Vector256.Sum(c0);
        results[1] = Vector256.Sum(c1);
        if (three)
            results[2] = Vector256.Sum(c2);
        if (four)
            results[3] = Vector256.Sum(c3);
    }

    /// <summary>Steps 0 and 1 of an octet for one token: their partials, added pairwise as the first horizontal add of
    /// the reduction to block sums (<see cref="INibbleLevels.HalfSums"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> FirstHalf(in NibbleWeights l0, in NibbleWeights h0, in NibbleWeights l1, in NibbleWeights h1, byte* a) =>
        TLevels.HalfSums(
            TLevels.PairPartials(l0, h0, (sbyte*)a, (sbyte*)(a + OctetActivations.HighOffset)),
            TLevels.PairPartials(l1, h1, (sbyte*)(a + OctetActivations.StepBytes), (sbyte*)(a + OctetActivations.StepBytes + OctetActivations.HighOffset)));

    /// <summary>Steps 2 and 3 for one token, then its block sums, scales and accumulation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SecondHalf(Vector256<float> acc, Vector256<int> first, in NibbleWeights l2, in NibbleWeights h2,
        in NibbleWeights l3, in NibbleWeights h3, Vector256<float> weightScales, byte* a)
    {
        var second = TLevels.HalfSums(
            TLevels.PairPartials(l2, h2, (sbyte*)(a + 2 * OctetActivations.StepBytes), (sbyte*)(a + 2 * OctetActivations.StepBytes + OctetActivations.HighOffset)),
            TLevels.PairPartials(l3, h3, (sbyte*)(a + 3 * OctetActivations.StepBytes), (sbyte*)(a + 3 * OctetActivations.StepBytes + OctetActivations.HighOffset)));
        var sums = TLevels.SumHalves(first, second, (int*)(a + OctetActivations.SumOffset));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), weightScales * Vector256.Load((float*)(a + OctetActivations.ScaleOffset)), acc);
    }

    /// <summary>Two blocks' nibbles at <paramref name="w"/>, low and high, prepared by the level type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (NibbleWeights Low, NibbleWeights High) Prepared(byte* w, Vector256<byte> mask)
    {
        var (low, high) = Nibbles(w, mask);
        return TLevels.Prepare(low, high);
    }

    /// <summary>The level type's partial sums for weight blocks at <paramref name="w"/> and the next one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Partials(byte* w, byte* a, Vector256<byte> mask)
    {
        var (low, high) = Prepared(w, mask);
        return TLevels.PairPartials(low, high, (sbyte*)a, (sbyte*)(a + OctetActivations.HighOffset));
    }

    /// <summary>Two blocks' nibbles (block at <paramref name="w"/> in the low lane, the next in the high one): elements
    /// 0..15 of each (low nibbles) and 16..31 (high nibbles), 0..15 each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> Low, Vector256<byte> High) Nibbles(byte* w, Vector256<byte> mask)
    {
        var nibbles = Vector256.Create(Vector128.Load(w + 2), Vector128.Load(w + Q4_0Dot.BlockBytes + 2));
        return (nibbles & mask, Vector256.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte() & mask);
    }

    /// <summary>acc += float(Σ level x) * (d_w * d_x) for one pair of weight blocks and one pair activation group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PairStep(Vector256<float> acc, byte* w, byte* a, float* halfTable, Vector256<byte> mask)
    {
        var (low, high) = Nibbles(w, mask);
        var sums = TLevels.Products(low, high, (sbyte*)(a + PairActivations.LowOffset), (sbyte*)(a + PairActivations.HighOffset),
            (int*)(a + PairActivations.SumOffset));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), PairActivations.Scales(w, Q4_0Dot.BlockBytes, a, halfTable), acc);
    }
}
