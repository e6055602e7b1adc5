using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q6_K;

internal static unsafe partial class Q6_KDot
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            sbyte* scales = (sbyte*)(weights + ScalesOffset);
            sbyte* a = Q8_KBlock.Quants(activations);
            var scaleWords = KQuantScales.GroupScaleWords(Vector128.Load(scales));
            var sumi = HalfDot(weights, 0, scaleWords, a) + HalfDot(weights, 1, scaleWords, a);
            float d = halfTable[*(ushort*)(weights + ScaleOffset)] * Q8_KBlock.Scale(activations);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi - OffsetProducts(scales, Q8_KBlock.Sums(activations))), Vector256.Create(d), acc);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>One weight row against two tokens' activations <paramref name="stride"/> bytes apart (batches of two or
    /// three tokens, and the pairs left after four-token groups): each half block's levels and scale vectors are
    /// decoded once for both, and each token's sums are kept as <see cref="DotAvx2"/> keeps them, so the results are
    /// its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot2Avx2(byte* weights, byte* activations, nint stride, int k, float* results)
    {
        float* halfTable = HalfBits.Table;
        Vector256<float> accX = default, accZ = default;
        byte* x = activations, z = activations + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, x += Q8_KActivations.BlockBytes, z += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            sbyte* scales = (sbyte*)(weights + ScalesOffset);
            var scaleWords = KQuantScales.GroupScaleWords(Vector128.Load(scales));
            Vector256<int> sx = default, sz = default;
            var pick = KQuantScales.FirstWordPick;
            for (int half = 0; half < 2; half++)
            {
                DecodeHalf(weights, half, scaleWords, ref pick, out var q0, out var q1, out var q2, out var q3, out var c0, out var c1, out var c2, out var c3);
                sx += HalfDot(q0, q1, q2, q3, c0, c1, c2, c3, Q8_KBlock.Quants(x) + 128 * half);
                sz += HalfDot(q0, q1, q2, q3, c0, c1, c2, c3, Q8_KBlock.Quants(z) + 128 * half);
            }
            float d = halfTable[*(ushort*)(weights + ScaleOffset)];
            accX = Finish(accX, sx, d, scales, x);
            accZ = Finish(accZ, sz, d, scales, z);
        }
        results[0] = Vector256.Sum(accX);
        results[1] = Vector256.Sum(accZ);
    }

    /// <summary>One weight row against three or four activation rows (<typeparamref name="TTokens"/>) a stride apart (the
    /// matmul's micro-kernel): each half block's levels and scale vectors are decoded once and used for every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotManyAvx2<TTokens>(byte* weights, byte* activations, nint stride, int k, float* results) where TTokens : ITokenCount
    {
        bool four = TTokens.Count == 4;
        float* halfTable = HalfBits.Table;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            sbyte* scales = (sbyte*)(weights + ScalesOffset);
            nint offset = b * Q8_KActivations.BlockBytes;
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            var scaleWords = KQuantScales.GroupScaleWords(Vector128.Load(scales));
            var pick = KQuantScales.FirstWordPick;
            for (int half = 0; half < 2; half++)
            {
                DecodeHalf(weights, half, scaleWords, ref pick, out var q0, out var q1, out var q2, out var q3, out var c0, out var c1, out var c2, out var c3);
                nint at = offset + Q8_KActivations.QuantsOffset + 128 * half;
                s0 += HalfDot(q0, q1, q2, q3, c0, c1, c2, c3, (sbyte*)(a0 + at));
                s1 += HalfDot(q0, q1, q2, q3, c0, c1, c2, c3, (sbyte*)(a1 + at));
                s2 += HalfDot(q0, q1, q2, q3, c0, c1, c2, c3, (sbyte*)(a2 + at));
                if (four)
                    s3 += HalfDot(q0, q1, q2, q3, c0, c1, c2, c3, (sbyte*)(a3 + at));
            }
            float d = halfTable[*(ushort*)(weights + ScaleOffset)];
            acc0 = Finish(acc0, s0, d, scales, a0 + offset);
            acc1 = Finish(acc1, s1, d, scales, a1 + offset);
            acc2 = Finish(acc2, s2, d, scales, a2 + offset);
            if (four)
                acc3 = Finish(acc3, s3, d, scales, a3 + offset);
        }
        results[0] = Vector256.Sum(acc0);
        results[1] = Vector256.Sum(acc1);
        results[2] = Vector256.Sum(acc2);
        if (four)
            results[3] = Vector256.Sum(acc3);
    }

    /// <summary>Levels 0..63 (the -32 offset applied later) of one 128-value half of a block: four vectors of 32
    /// consecutive values, low four bits from ql and the top two from qh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Levels(byte* block, int half, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3)
    {
        var mask = Vector256.Create((byte)0x0F);
        var highMask = Vector256.Create((byte)0x30);
        var ql0 = Vector256.Load(block + 64 * half);
        var ql1 = Vector256.Load(block + 64 * half + 32);
        var qh = Vector256.Load(block + HighBitsOffset + 32 * half).AsUInt16();
        q0 = (ql0 & mask) | ((qh << 4).AsByte() & highMask);
        q1 = (ql1 & mask) | ((qh << 2).AsByte() & highMask);
        q2 = (Vector256.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & mask) | (qh.AsByte() & highMask);
        q3 = (Vector256.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & mask) | ((qh >> 2).AsByte() & highMask);
    }

    /// <summary>One half block's levels (<see cref="Levels"/>) and its four chunks' scales, for the single dot, whose
    /// halves are written out so that every pick is a constant (the many-token dots step theirs, below).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeHalf(byte* block, int half, Vector256<byte> scaleWords,
        out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<short> c0, out Vector256<short> c1, out Vector256<short> c2, out Vector256<short> c3)
    {
        Levels(block, half, out q0, out q1, out q2, out q3);
        c0 = KQuantScales.PickWord(scaleWords, 4 * half);
        c1 = KQuantScales.PickWord(scaleWords, 4 * half + 1);
        c2 = KQuantScales.PickWord(scaleWords, 4 * half + 2);
        c3 = KQuantScales.PickWord(scaleWords, 4 * half + 3);
    }

    /// <summary><see cref="DecodeHalf(byte*, int, Vector256{byte}, out Vector256{byte}, out Vector256{byte}, out Vector256{byte}, out Vector256{byte}, out Vector256{short}, out Vector256{short}, out Vector256{short}, out Vector256{short})"/>
    /// for the many-token dots, which walk the halves in a loop: the scales are taken by <paramref name="pick"/>, stepped
    /// past the half's four chunks (<see cref="KQuantScales.TakeWord"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeHalf(byte* block, int half, Vector256<byte> scaleWords, ref Vector256<byte> pick,
        out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3,
        out Vector256<short> c0, out Vector256<short> c1, out Vector256<short> c2, out Vector256<short> c3)
    {
        Levels(block, half, out q0, out q1, out q2, out q3);
        c0 = KQuantScales.TakeWord(scaleWords, ref pick);
        c1 = KQuantScales.TakeWord(scaleWords, ref pick);
        c2 = KQuantScales.TakeWord(scaleWords, ref pick);
        c3 = KQuantScales.TakeWord(scaleWords, ref pick);
    }

    /// <summary>Σ scale (levels · a) over one half of a block for one token, the halves written out so that each
    /// chunk's scale shuffle is a constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfDot(byte* block, int half, Vector256<byte> scaleWords, sbyte* a)
    {
        DecodeHalf(block, half, scaleWords, out var q0, out var q1, out var q2, out var q3, out var c0, out var c1, out var c2, out var c3);
        return HalfDot(q0, q1, q2, q3, c0, c1, c2, c3, a + 128 * half);
    }

    /// <summary>Σ scale (levels · a) over 128 values (four 32-value groups) of one token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfDot(Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3,
        Vector256<short> c0, Vector256<short> c1, Vector256<short> c2, Vector256<short> c3, sbyte* a) =>
        SimdInt8.MultiplySumScaled(q0, a, c0) + SimdInt8.MultiplySumScaled(q1, a + 32, c1)
        + SimdInt8.MultiplySumScaled(q2, a + 64, c2) + SimdInt8.MultiplySumScaled(q3, a + 96, c3);

    /// <summary>acc += (Σ scaled level products - 32 Σ scale * sums) * d_w * d_x for one block and token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finish(Vector256<float> acc, Vector256<int> sums, float d, sbyte* scales, byte* activation) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums - OffsetProducts(scales, Q8_KBlock.Sums(activation))),
            Vector256.Create(d * Q8_KBlock.Scale(activation)), acc);

    /// <summary><see cref="OffsetDot"/> in eight int32 lanes whose total is the offset (16 scales against the 16
    /// activation sums in one multiply-add, times 32 as a shift), taken off the products lane by lane: the lanes are
    /// summed once per row, where a sum per block took about twelve instructions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> OffsetProducts(sbyte* scales, short* sums) =>
        Avx2.ShiftLeftLogical(KQuantScales.GroupSumProducts(Vector128.Load(scales), sums), LevelOffsetBits);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float sum = 0;
        var mask = Vector128.Create((byte)0x0F);
        var highMask = Vector128.Create((byte)0x30);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            sbyte* scales = (sbyte*)(weights + ScalesOffset);
            sbyte* a = Q8_KBlock.Quants(activations);
            int total = 0;
            for (int half = 0; half < 2; half++)
            {
                for (int part = 0; part < 2; part++)
                {
                    // 16 values of each of the four 32-value groups: l in 16*part .. 16*part+15.
                    byte* ql = weights + 64 * half + 16 * part;
                    var ql0 = Vector128.Load(ql);
                    var ql1 = Vector128.Load(ql + 32);
                    var qh = Vector128.Load(weights + HighBitsOffset + 32 * half + 16 * part);
                    var q0 = (ql0 & mask) | (Vector128.ShiftLeft(qh, 4) & highMask);
                    var q1 = (ql1 & mask) | (Vector128.ShiftLeft(qh, 2) & highMask);
                    var q2 = Vector128.ShiftRightLogical(ql0, 4) | (qh & highMask);
                    var q3 = Vector128.ShiftRightLogical(ql1, 4) | (Vector128.ShiftRightLogical(qh, 2) & highMask);
                    sbyte* aPart = a + 128 * half + 16 * part;
                    sbyte* sc = scales + 8 * half + part;
                    total += sc[0] * Vector128.Sum(SimdInt8.MultiplySum(q0.AsSByte(), Vector128.Load(aPart)))
                        + sc[2] * Vector128.Sum(SimdInt8.MultiplySum(q1.AsSByte(), Vector128.Load(aPart + 32)))
                        + sc[4] * Vector128.Sum(SimdInt8.MultiplySum(q2.AsSByte(), Vector128.Load(aPart + 64)))
                        + sc[6] * Vector128.Sum(SimdInt8.MultiplySum(q3.AsSByte(), Vector128.Load(aPart + 96)));
                }
            }
            total -= OffsetDot(scales, Q8_KBlock.Sums(activations));
            sum += halfTable[*(ushort*)(weights + ScaleOffset)] * Q8_KBlock.Scale(activations) * total;
        }
        return sum;
    }
}
