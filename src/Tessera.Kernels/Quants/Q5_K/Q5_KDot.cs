using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q5_K;

/// <summary>
/// Q5_K weights · Q8_K activations. block_q5_K = { half d; half dmin; byte scales[12]; byte qh[32]; byte qs[128] }
/// (176 bytes): as Q4_K (same scales, same nibble order) with a fifth level bit: value 32j + l of sub-block j takes
/// bit j of qh[l]. value = d * scale_j * level - dmin * min_j.
/// </summary>
internal static unsafe class Q5_KDot
{
    public const int BlockBytes = 176;
    private const int BlockSize = 256;
    private const int ScalesOffset = 4;
    internal const int HighBitsOffset = 16;
    internal const int QuantsOffset = 48;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        int* scales = stackalloc int[KQuantScales.SubBlocks];
        int* mins = stackalloc int[KQuantScales.SubBlocks];
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            KQuantScales.Decode(weights + ScalesOffset, scales, mins);
            byte* qs = weights + QuantsOffset;
            byte* qh = weights + HighBitsOffset;
            sbyte* a = Q8_KBlock.Quants(activations);
            int scaled = 0;
            for (int j = 0; j < KQuantScales.SubBlocks; j++)
            {
                int dot = 0;
                for (int l = 0; l < 32; l++)
                {
                    int level = ((qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0x0F) | ((qh[l] >> j) & 1) << 4;
                    dot += level * a[32 * j + l];
                }
                scaled += scales[j] * dot;
            }
            float da = Q8_KBlock.Scale(activations);
            sum += HalfBits.ToSingle(weights) * da * scaled - HalfBits.ToSingle(weights + 2) * da * KQuantScales.MinimumDot(mins, Q8_KBlock.Sums(activations));
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        var bitMask = Vector256.Create((ushort)0x0101);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scalesAndMins = KQuantScales.DecodePackedVector(weights + ScalesOffset);
            byte* qs = weights + QuantsOffset;
            var qh = Vector256.Load(weights + HighBitsOffset).AsUInt16();
            sbyte* a = Q8_KBlock.Quants(activations);
            // As Q4_K's: scales spread by byte shuffles, chunks written out, the mins' term kept in lanes.
            var scaleWords = KQuantScales.SubBlockScaleWords(scalesAndMins);
            var sumi = ChunkDotAvx2(qs, qh, a, scaleWords, 0, mask, bitMask) + ChunkDotAvx2(qs, qh, a, scaleWords, 1, mask, bitMask)
                + (ChunkDotAvx2(qs, qh, a, scaleWords, 2, mask, bitMask) + ChunkDotAvx2(qs, qh, a, scaleWords, 3, mask, bitMask));
            acc = KQuantScales.AccumulateBlockAvx2(acc, sumi, halfTable[*(ushort*)weights], halfTable[*(ushort*)(weights + 2)], scalesAndMins, activations);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>One weight row against two tokens' activations <paramref name="stride"/> bytes apart (batches of two or
    /// three tokens, and the pair left after a four-token group): each block's scales and each chunk's levels are
    /// decoded once for both, and each token's sums are kept as <see cref="DotAvx2"/> keeps them, so the results are
    /// its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot2Avx2(byte* weights, byte* activations, nint stride, int k, float* results)
    {
        float* halfTable = HalfBits.Table;
        Vector256<float> accX = default, accZ = default;
        var mask = Vector256.Create((byte)0x0F);
        var bitMask = Vector256.Create((ushort)0x0101);
        byte* x = activations, z = activations + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, x += Q8_KActivations.BlockBytes, z += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scalesAndMins = KQuantScales.DecodePackedVector(weights + ScalesOffset);
            byte* qs = weights + QuantsOffset;
            var qh = Vector256.Load(weights + HighBitsOffset).AsUInt16();
            sbyte* ax = Q8_KBlock.Quants(x), az = Q8_KBlock.Quants(z);
            var scaleWords = KQuantScales.SubBlockScaleWords(scalesAndMins);
            Vector256<int> sx = default, sz = default;
            var pick = KQuantScales.FirstWordPick;
            for (int chunk = 0; chunk < 4; chunk++)
            {
                var levels = NextChunk(qs + 32 * chunk, ref qh, ref pick, scaleWords, mask, bitMask);
                sx += levels.Dot(ax + 64 * chunk);
                sz += levels.Dot(az + 64 * chunk);
            }
            float d = halfTable[*(ushort*)weights], dMin = halfTable[*(ushort*)(weights + 2)];
            accX = KQuantScales.AccumulateBlockAvx2(accX, sx, d, dMin, scalesAndMins, x);
            accZ = KQuantScales.AccumulateBlockAvx2(accZ, sz, d, dMin, scalesAndMins, z);
        }
        results[0] = Vector256.Sum(accX);
        results[1] = Vector256.Sum(accZ);
    }

    /// <summary>One weight row against three or four tokens' activations (<typeparamref name="TTokens"/>)
    /// <paramref name="stride"/> bytes apart (batches below the int8 panel's threshold, four at a time), as
    /// <see cref="Dot2Avx2"/> does for two: the results are <see cref="DotAvx2"/>'s bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotManyAvx2<TTokens>(byte* weights, byte* activations, nint stride, int k, float* results) where TTokens : ITokenCount
    {
        bool four = TTokens.Count == 4;
        float* halfTable = HalfBits.Table;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var mask = Vector256.Create((byte)0x0F);
        var bitMask = Vector256.Create((ushort)0x0101);
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scalesAndMins = KQuantScales.DecodePackedVector(weights + ScalesOffset);
            byte* qs = weights + QuantsOffset;
            var qh = Vector256.Load(weights + HighBitsOffset).AsUInt16();
            nint offset = b * Q8_KActivations.BlockBytes;
            var scaleWords = KQuantScales.SubBlockScaleWords(scalesAndMins);
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            var pick = KQuantScales.FirstWordPick;
            for (int chunk = 0; chunk < 4; chunk++)
            {
                var levels = NextChunk(qs + 32 * chunk, ref qh, ref pick, scaleWords, mask, bitMask);
                s0 += levels.Dot(Q8_KBlock.Quants(a0 + offset) + 64 * chunk);
                s1 += levels.Dot(Q8_KBlock.Quants(a1 + offset) + 64 * chunk);
                s2 += levels.Dot(Q8_KBlock.Quants(a2 + offset) + 64 * chunk);
                if (four)
                    s3 += levels.Dot(Q8_KBlock.Quants(a3 + offset) + 64 * chunk);
            }
            float d = halfTable[*(ushort*)weights], dMin = halfTable[*(ushort*)(weights + 2)];
            acc0 = KQuantScales.AccumulateBlockAvx2(acc0, s0, d, dMin, scalesAndMins, a0 + offset);
            acc1 = KQuantScales.AccumulateBlockAvx2(acc1, s1, d, dMin, scalesAndMins, a1 + offset);
            acc2 = KQuantScales.AccumulateBlockAvx2(acc2, s2, d, dMin, scalesAndMins, a2 + offset);
            if (four)
                acc3 = KQuantScales.AccumulateBlockAvx2(acc3, s3, d, dMin, scalesAndMins, a3 + offset);
        }
        results[0] = Vector256.Sum(acc0);
        results[1] = Vector256.Sum(acc1);
        results[2] = Vector256.Sum(acc2);
        if (four)
            results[3] = Vector256.Sum(acc3);
    }

    /// <summary>Chunk <paramref name="chunk"/> (64 values) of one token: 5-bit levels (0..31) from the nibbles and
    /// bits 2i and 2i + 1 of qh, each 32-value half times its sub-block's scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ChunkDotAvx2(byte* qs, Vector256<ushort> qh, sbyte* a, Vector256<byte> scaleWords, int chunk,
        Vector256<byte> mask, Vector256<ushort> bitMask) =>
        ChunkLevels(qs, qh, scaleWords, chunk, mask, bitMask).Dot(a + 64 * chunk);

    /// <summary>The many-token dots' next chunk: <see cref="ChunkLevels"/> for the chunk at <paramref name="packed"/>, whose
    /// fifth bits are the lowest two of <paramref name="qh"/> and whose sub-blocks' scales <paramref name="pick"/> picks,
    /// which then step to the next chunk's (<see cref="KQuantScales.TakeWord"/>; a loop over the chunk index made each
    /// shift and pick a variable one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ChunkLevelsAvx2 NextChunk(byte* packed, ref Vector256<ushort> qh, ref Vector256<byte> pick, Vector256<byte> scaleWords,
        Vector256<byte> mask, Vector256<ushort> bitMask)
    {
        var chunk = Chunk(packed, qh, KQuantScales.TakeWord(scaleWords, ref pick), KQuantScales.TakeWord(scaleWords, ref pick), mask, bitMask);
        qh >>= 2;
        return chunk;
    }

    /// <summary>Chunk <paramref name="chunk"/>'s levels and its two sub-blocks' scales, for the single dot, whose chunks
    /// are written out so that every shift and pick is a constant (the many-token dots step with <see cref="NextChunk"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ChunkLevelsAvx2 ChunkLevels(byte* qs, Vector256<ushort> qh, Vector256<byte> scaleWords, int chunk,
        Vector256<byte> mask, Vector256<ushort> bitMask) =>
        Chunk(qs + 32 * chunk, qh >> (2 * chunk), KQuantScales.PickWord(scaleWords, 2 * chunk), KQuantScales.PickWord(scaleWords, 2 * chunk + 1),
            mask, bitMask);

    /// <summary>The 5-bit levels (0..31) of the chunk at <paramref name="packed"/>: the low nibbles with bit 0 of
    /// <paramref name="qh"/> as their fifth bit, the high nibbles with bit 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ChunkLevelsAvx2 Chunk(byte* packed, Vector256<ushort> qh, Vector256<short> lowScale, Vector256<short> highScale,
        Vector256<byte> mask, Vector256<ushort> bitMask)
    {
        var nibbles = Vector256.Load(packed);
        return new ChunkLevelsAvx2(
            (nibbles & mask) | ((qh & bitMask) << 4).AsByte(),
            (Vector256.ShiftRightLogical(nibbles.AsUInt16(), 4).AsByte() & mask) | (((qh >> 1) & bitMask) << 4).AsByte(),
            lowScale, highScale);
    }

    /// <summary>A chunk's 64 levels (the low half's 32 against a[0..31], the high half's against a[32..63]) with their scales.</summary>
    private readonly struct ChunkLevelsAvx2(Vector256<byte> low, Vector256<byte> high, Vector256<short> lowScale, Vector256<short> highScale)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Dot(sbyte* a) =>
            SimdInt8.MultiplySumScaled(low, a, lowScale) + SimdInt8.MultiplySumScaled(high, a + 32, highScale);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        int* scales = stackalloc int[KQuantScales.SubBlocks];
        int* mins = stackalloc int[KQuantScales.SubBlocks];
        float sum = 0;
        var mask = Vector128.Create((byte)0x0F);
        var one = Vector128.Create((byte)1);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            KQuantScales.Decode(weights + ScalesOffset, scales, mins);
            byte* qs = weights + QuantsOffset;
            sbyte* a = Q8_KBlock.Quants(activations);
            int scaled = 0;
            for (int j = 0; j < KQuantScales.SubBlocks; j++)
            {
                var dot = Vector128<int>.Zero;
                for (int part = 0; part < 2; part++)
                {
                    var packed = Vector128.Load(qs + 32 * (j / 2) + 16 * part);
                    var nibble = j % 2 == 0 ? packed & mask : Vector128.ShiftRightLogical(packed, 4);
                    var fifth = Vector128.ShiftLeft(Vector128.ShiftRightLogical(Vector128.Load(weights + HighBitsOffset + 16 * part), j) & one, 4);
                    dot += SimdInt8.MultiplySum((nibble | fifth).AsSByte(), Vector128.Load(a + 32 * j + 16 * part));
                }
                scaled += scales[j] * Vector128.Sum(dot);
            }
            float da = Q8_KBlock.Scale(activations);
            sum += halfTable[*(ushort*)weights] * da * scaled - halfTable[*(ushort*)(weights + 2)] * da * KQuantScales.MinimumDot(mins, Q8_KBlock.Sums(activations));
        }
        return sum;
    }

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotVector128),
        new(Isa.Avx2, IsaSupport.Avx2, &DotAvx2),
    ];
}
