using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q4_K;

internal static unsafe partial class Q4_KDot
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scalesAndMins = KQuantScales.DecodePackedVector(weights + ScalesOffset);
            byte* qs = weights + QuantsOffset;
            sbyte* a = Q8_KBlock.Quants(activations);
            // Each chunk's two scales are spread by one byte shuffle apiece, where extracting and broadcasting each
            // took four instructions; the chunks are written out, where the loop's index cost six more per chunk.
            var scaleWords = KQuantScales.SubBlockScaleWords(scalesAndMins);
            var sumi = ChunkDot(qs, a, scaleWords, 0, mask) + ChunkDot(qs + 32, a + 64, scaleWords, 1, mask)
                + (ChunkDot(qs + 64, a + 128, scaleWords, 2, mask) + ChunkDot(qs + 96, a + 192, scaleWords, 3, mask));
            acc = KQuantScales.AccumulateBlockAvx2(acc, sumi, halfTable[*(ushort*)weights], halfTable[*(ushort*)(weights + 2)], scalesAndMins, activations);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>Chunk <paramref name="chunk"/> (64 values) of one token: levels are 0..15, so vpmaddubsw takes them
    /// directly as the unsigned operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ChunkDot(byte* qs, sbyte* a, Vector256<byte> scaleWords, int chunk, Vector256<byte> mask)
    {
        var (low, high, scaleLow, scaleHigh) = ChunkLevels(qs, scaleWords, chunk, mask);
        return ChunkDot(low, high, a, scaleLow, scaleHigh);
    }

    /// <summary>Chunk <paramref name="chunk"/>'s levels at <paramref name="qs"/> (low and high nibbles) and its two
    /// sub-blocks' scales, decoded once for every token that meets them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> Low, Vector256<byte> High, Vector256<short> ScaleLow, Vector256<short> ScaleHigh) ChunkLevels(
        byte* qs, Vector256<byte> scaleWords, int chunk, Vector256<byte> mask) =>
        ChunkLevels(qs, KQuantScales.PickWord(scaleWords, 2 * chunk), KQuantScales.PickWord(scaleWords, 2 * chunk + 1), mask);

    /// <summary>The chunk at <paramref name="qs"/> split into its low and high nibbles, with the scales given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> Low, Vector256<byte> High, Vector256<short> ScaleLow, Vector256<short> ScaleHigh) ChunkLevels(
        byte* qs, Vector256<short> scaleLow, Vector256<short> scaleHigh, Vector256<byte> mask)
    {
        var packed = Vector256.Load(qs);
        return (packed & mask, Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask, scaleLow, scaleHigh);
    }

    /// <summary>One weight row against two tokens' activations <paramref name="stride"/> bytes apart (batches of two or
    /// three tokens, and the pairs left after four-token groups): each block's scales and each chunk's nibbles are
    /// decoded once for both, and each token's sums are kept as <see cref="DotAvx2"/> keeps them, so the results are
    /// its bits. At two tokens the row had been decoded twice, which left a batch of two as slow as two decode steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot2Avx2(byte* weights, byte* activations, nint stride, int k, float* results)
    {
        float* halfTable = HalfBits.Table;
        var accX = Vector256<float>.Zero;
        var accZ = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        byte* x = activations, z = activations + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, x += Q8_KActivations.BlockBytes, z += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scalesAndMins = KQuantScales.DecodePackedVector(weights + ScalesOffset);
            byte* qs = weights + QuantsOffset;
            sbyte* ax = Q8_KBlock.Quants(x), az = Q8_KBlock.Quants(z);
            var scaleWords = KQuantScales.SubBlockScaleWords(scalesAndMins);
            var (x0, z0) = ChunkDot2(qs, ax, az, scaleWords, 0, mask);
            var (x1, z1) = ChunkDot2(qs + 32, ax + 64, az + 64, scaleWords, 1, mask);
            var (x2, z2) = ChunkDot2(qs + 64, ax + 128, az + 128, scaleWords, 2, mask);
            var (x3, z3) = ChunkDot2(qs + 96, ax + 192, az + 192, scaleWords, 3, mask);
            float d = halfTable[*(ushort*)weights], dMin = halfTable[*(ushort*)(weights + 2)];
            accX = KQuantScales.AccumulateBlockAvx2(accX, x0 + x1 + (x2 + x3), d, dMin, scalesAndMins, x);
            accZ = KQuantScales.AccumulateBlockAvx2(accZ, z0 + z1 + (z2 + z3), d, dMin, scalesAndMins, z);
        }
        results[0] = Vector256.Sum(accX);
        results[1] = Vector256.Sum(accZ);
    }

    /// <summary><see cref="ChunkDot(byte*, sbyte*, Vector256{byte}, int, Vector256{byte})"/> for two tokens from one
    /// split of the chunk's nibbles and one pick of its scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> X, Vector256<int> Z) ChunkDot2(byte* qs, sbyte* ax, sbyte* az, Vector256<byte> scaleWords, int chunk, Vector256<byte> mask)
    {
        var (low, high, scaleLow, scaleHigh) = ChunkLevels(qs, scaleWords, chunk, mask);
        return (ChunkDot(low, high, ax, scaleLow, scaleHigh), ChunkDot(low, high, az, scaleLow, scaleHigh));
    }

    /// <summary>One weight row against three or four activation rows (<typeparamref name="TTokens"/>) a stride apart:
    /// each decoded chunk of levels serves every token, and each token's sums are kept as <see cref="DotAvx2"/> keeps
    /// them, so the results are its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotManyAvx2<TTokens>(byte* weights, byte* activations, nint stride, int k, float* results) where TTokens : ITokenCount
    {
        bool four = TTokens.Count == 4;
        float* halfTable = HalfBits.Table;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var mask = Vector256.Create((byte)0x0F);
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scalesAndMins = KQuantScales.DecodePackedVector(weights + ScalesOffset);
            byte* qs = weights + QuantsOffset;
            nint offset = b * Q8_KActivations.BlockBytes + Q8_KActivations.QuantsOffset;
            var scaleWords = KQuantScales.SubBlockScaleWords(scalesAndMins);
            var pick = KQuantScales.FirstWordPick;
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int i = 0; i < 4; i++, qs += 32, offset += 64)
            {
                // The scales by a stepped pick (KQuantScales.TakeWord), low sub-block first.
                var (low, high, scaleLow, scaleHigh) = ChunkLevels(qs, KQuantScales.TakeWord(scaleWords, ref pick), KQuantScales.TakeWord(scaleWords, ref pick), mask);
                s0 += ChunkDot(low, high, (sbyte*)(a0 + offset), scaleLow, scaleHigh);
                s1 += ChunkDot(low, high, (sbyte*)(a1 + offset), scaleLow, scaleHigh);
                s2 += ChunkDot(low, high, (sbyte*)(a2 + offset), scaleLow, scaleHigh);
                if (four)
                    s3 += ChunkDot(low, high, (sbyte*)(a3 + offset), scaleLow, scaleHigh);
            }
            float d = halfTable[*(ushort*)weights], dMin = halfTable[*(ushort*)(weights + 2)];
            nint block = b * Q8_KActivations.BlockBytes;
            acc0 = KQuantScales.AccumulateBlockAvx2(acc0, s0, d, dMin, scalesAndMins, a0 + block);
            acc1 = KQuantScales.AccumulateBlockAvx2(acc1, s1, d, dMin, scalesAndMins, a1 + block);
            acc2 = KQuantScales.AccumulateBlockAvx2(acc2, s2, d, dMin, scalesAndMins, a2 + block);
            if (four)
                acc3 = KQuantScales.AccumulateBlockAvx2(acc3, s3, d, dMin, scalesAndMins, a3 + block);
        }
        results[0] = Vector256.Sum(acc0);
        results[1] = Vector256.Sum(acc1);
        results[2] = Vector256.Sum(acc2);
        if (four)
            results[3] = Vector256.Sum(acc3);
    }

    /// <summary>Scaled dot of one 64-value chunk: low-nibble levels with a[0..31], high-nibble levels with a[32..63].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ChunkDot(Vector256<byte> low, Vector256<byte> high, sbyte* a, Vector256<short> scaleLow, Vector256<short> scaleHigh) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(low, Vector256.Load(a)), scaleLow)
        + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(high, Vector256.Load(a + 32)), scaleHigh);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        int* scales = stackalloc int[KQuantScales.SubBlocks];
        int* mins = stackalloc int[KQuantScales.SubBlocks];
        float sum = 0;
        var mask = Vector128.Create((byte)0x0F);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            KQuantScales.Decode(weights + ScalesOffset, scales, mins);
            byte* qs = weights + QuantsOffset;
            sbyte* a = Q8_KBlock.Quants(activations);
            int scaled = 0;
            for (int i = 0; i < 4; i++)
            {
                var packed0 = Vector128.Load(qs + 32 * i);
                var packed1 = Vector128.Load(qs + 32 * i + 16);
                var low = SimdInt8.MultiplySum((packed0 & mask).AsSByte(), Vector128.Load(a + 64 * i))
                    + SimdInt8.MultiplySum((packed1 & mask).AsSByte(), Vector128.Load(a + 64 * i + 16));
                var high = SimdInt8.MultiplySum(Vector128.ShiftRightLogical(packed0, 4).AsSByte(), Vector128.Load(a + 64 * i + 32))
                    + SimdInt8.MultiplySum(Vector128.ShiftRightLogical(packed1, 4).AsSByte(), Vector128.Load(a + 64 * i + 48));
                scaled += scales[2 * i] * Vector128.Sum(low) + scales[2 * i + 1] * Vector128.Sum(high);
            }
            float da = Q8_KBlock.Scale(activations);
            sum += halfTable[*(ushort*)weights] * da * scaled - halfTable[*(ushort*)(weights + 2)] * da * KQuantScales.MinimumDot(mins, Q8_KBlock.Sums(activations));
        }
        return sum;
    }
}
