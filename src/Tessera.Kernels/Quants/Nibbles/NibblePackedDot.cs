using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// 4-bit weights in Q4_0's block layout (Q4_0, IQ4_NL: <typeparamref name="TLevels"/> maps nibbles to levels) ·
/// <see cref="NibbleActivations"/> with AVX-512 (F, BW, VBMI), four blocks (72 weight bytes) per step, straight from
/// the file layout. Per weight group:
/// <list type="number">
/// <item>one vpermt2b gathers the four blocks' 16 nibble bytes into 64 contiguous bytes; an and / shift+and split
///   them into low levels (elements 0..15 of each block) and high levels (16..31), both 0..15;</item>
/// <item><typeparamref name="TLevels"/> multiplies them with the matching activation halves into int32 lanes: lane i
///   holds four products' worth of block i/4 (for Q4_0: vpmaddubsw, vpmaddwd, minus the activation's 8 Σ x);</item>
/// <item>one vpermw copies each block's half scale into the top of its four lanes; an arithmetic shift by 3 and a
///   mask turn that into the float d * 2^-112 with its sign (exact for normal halves; subnormal scales become float
///   denormals, still exact), and the activation's scale carries the 2^112 back;</item>
/// <item>acc += float(sum) * (d_w * d_x).</item>
/// </list>
/// For Q4_0 about 16 vector instructions per 128 values, against ~15 per 32 values for the 256-bit dot of the file
/// layout; IQ4_NL's table and sign take about 8 more.
/// Infinite or NaN weight scales are not reproduced (a quantizer never writes them).
/// </summary>
internal static unsafe class NibblePackedDot<TLevels> where TLevels : INibbleLevels
{
    public const int GroupBytes = NibbleActivations.BlocksPerGroup * Q4_0.Q4_0Dot.BlockBytes;   // 72

    public static bool IsSupported => Avx512BW.IsSupported && Avx512Vbmi.IsSupported;

    /// <summary>Byte j of the result is nibble byte j % 16 of block j / 16 (blocks 18 bytes apart, quants after the
    /// 2-byte scale); indices 64.. select from the second table, the group's last 8 bytes.</summary>
    private static Vector512<byte> NibbleIndex
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            (byte)2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
            20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,
            38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
            56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71);
    }

    /// <summary>Word index of block i/4's scale (byte 18 * b = word 9 * b) for the high word of each int32 lane i.</summary>
    private static Vector512<ushort> ScaleIndex
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(
            (ushort)0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9,
            18, 18, 18, 18, 18, 18, 18, 18, 27, 27, 27, 27, 27, 27, 27, 27);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        var nibbleIndex = NibbleIndex;
        var scaleIndex = ScaleIndex;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        int groups = k / NibbleActivations.GroupSize;
        int g = 0;
        for (; g + 2 <= groups; g += 2, weights += 2 * GroupBytes, activations += 2 * NibbleActivations.GroupBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * GroupBytes);
            acc0 = Step(acc0, Weights.Load(weights, nibbleIndex, scaleIndex), activations);
            acc1 = Step(acc1, Weights.Load(weights + GroupBytes, nibbleIndex, scaleIndex), activations + NibbleActivations.GroupBytes);
        }
        if (g < groups)
            acc0 = Step(acc0, Weights.Load(weights, nibbleIndex, scaleIndex), activations);
        return Vector512.Sum(acc0 + acc1);
    }

    /// <summary>4 weight rows x 4 tokens (the <see cref="MatMul"/> tile contract): y[t * yStride + r] = row r · token t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        var nibbleIndex = NibbleIndex;
        var scaleIndex = ScaleIndex;
        byte* w0 = weights, w1 = w0 + weightStride, w2 = w1 + weightStride, w3 = w2 + weightStride;
        byte* a0 = activations, a1 = a0 + activationStride, a2 = a1 + activationStride, a3 = a2 + activationStride;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int groups = k / NibbleActivations.GroupSize;
        for (int g = 0; g < groups; g++)
        {
            nint wo = g * GroupBytes, ao = g * NibbleActivations.GroupBytes;
            var r0 = Weights.Load(w0 + wo, nibbleIndex, scaleIndex);
            var r1 = Weights.Load(w1 + wo, nibbleIndex, scaleIndex);
            var r2 = Weights.Load(w2 + wo, nibbleIndex, scaleIndex);
            var r3 = Weights.Load(w3 + wo, nibbleIndex, scaleIndex);
            c00 = Step(c00, r0, a0 + ao); c10 = Step(c10, r1, a0 + ao); c20 = Step(c20, r2, a0 + ao); c30 = Step(c30, r3, a0 + ao);
            c01 = Step(c01, r0, a1 + ao); c11 = Step(c11, r1, a1 + ao); c21 = Step(c21, r2, a1 + ao); c31 = Step(c31, r3, a1 + ao);
            c02 = Step(c02, r0, a2 + ao); c12 = Step(c12, r1, a2 + ao); c22 = Step(c22, r2, a2 + ao); c32 = Step(c32, r3, a2 + ao);
            c03 = Step(c03, r0, a3 + ao); c13 = Step(c13, r1, a3 + ao); c23 = Step(c23, r2, a3 + ao); c33 = Step(c33, r3, a3 + ao);
        }
        TileResults.Store(y, yStride, 0, c00, c01, c02, c03);
        TileResults.Store(y, yStride, 1, c10, c11, c12, c13);
        TileResults.Store(y, yStride, 2, c20, c21, c22, c23);
        TileResults.Store(y, yStride, 3, c30, c31, c32, c33);
    }

    /// <summary>4 weight rows x 2 tokens: a batch of two decode steps (two server slots) decodes each weight group once
    /// for both tokens instead of running the single-token dot twice. y[t * yStride + r] = row r · token t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        var nibbleIndex = NibbleIndex;
        var scaleIndex = ScaleIndex;
        byte* w0 = weights, w1 = w0 + weightStride, w2 = w1 + weightStride, w3 = w2 + weightStride;
        byte* a0 = activations, a1 = a0 + activationStride;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        int groups = k / NibbleActivations.GroupSize;
        for (int g = 0; g < groups; g++)
        {
            nint wo = g * GroupBytes, ao = g * NibbleActivations.GroupBytes;
            var r0 = Weights.Load(w0 + wo, nibbleIndex, scaleIndex);
            var r1 = Weights.Load(w1 + wo, nibbleIndex, scaleIndex);
            var r2 = Weights.Load(w2 + wo, nibbleIndex, scaleIndex);
            var r3 = Weights.Load(w3 + wo, nibbleIndex, scaleIndex);
            c00 = Step(c00, r0, a0 + ao); c10 = Step(c10, r1, a0 + ao); c20 = Step(c20, r2, a0 + ao); c30 = Step(c30, r3, a0 + ao);
            c01 = Step(c01, r0, a1 + ao); c11 = Step(c11, r1, a1 + ao); c21 = Step(c21, r2, a1 + ao); c31 = Step(c31, r3, a1 + ao);
        }
        y[0] = Vector512.Sum(c00); y[1] = Vector512.Sum(c10); y[2] = Vector512.Sum(c20); y[3] = Vector512.Sum(c30);
        y[yStride] = Vector512.Sum(c01); y[yStride + 1] = Vector512.Sum(c11); y[yStride + 2] = Vector512.Sum(c21); y[yStride + 3] = Vector512.Sum(c31);
    }

    /// <summary>One weight group decoded: levels of elements 0..15 and 16..31 of its four blocks, and d * 2^-112 per lane.</summary>
    private readonly struct Weights(Vector512<byte> low, Vector512<byte> high, Vector512<float> scale)
    {
        public readonly Vector512<byte> Low = low;
        public readonly Vector512<byte> High = high;
        public readonly Vector512<float> Scale = scale;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Weights Load(byte* group, Vector512<byte> nibbleIndex, Vector512<ushort> scaleIndex)
        {
            // The group is 72 bytes: 64 in one load, the last 8 in a second (never reading past the group).
            var head = Vector512.Load(group);
            var tail = Vector512.CreateScalar(*(ulong*)(group + 64)).AsByte();
            var nibbles = Avx512Vbmi.PermuteVar64x8x2(head, nibbleIndex, tail);
            var mask = Vector512.Create((byte)0x0F);
            var low = nibbles & mask;
            var high = Avx512BW.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte() & mask;
            var halves = Avx512BW.PermuteVar32x16(head.AsUInt16(), scaleIndex).AsInt32();
            var scale = HalfBits.HighWordsUnrebiased(halves);
            return new Weights(low, high, scale);
        }
    }

    /// <summary>acc += float(Σ level x) * (d_w * d_x) for one weight group and one activation group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Step(Vector512<float> acc, in Weights w, byte* group)
    {
        var sums = TLevels.Products(w.Low, w.High, (sbyte*)(group + NibbleActivations.LowOffset),
            (sbyte*)(group + NibbleActivations.HighOffset), (int*)(group + NibbleActivations.SumOffset));
        var scale = w.Scale * Vector512.Load((float*)(group + NibbleActivations.ScaleOffset));
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), scale, acc);
    }
}
