using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q2_K;

/// <summary>
/// Q2_K weights · Q8_K activations. block_q2_K = { byte scales[16]; byte qs[64]; half d; half dmin } (84 bytes,
/// 256 values in 16 groups of 16): value = d * (scales[g] &amp; 15) * level - dmin * (scales[g] &gt;&gt; 4), 2-bit levels.
/// Each half of 128 values uses 32 bytes of qs: value 128n + 32j + l is bits 2j..2j+1 of qs[32n + l].
/// </summary>
internal static unsafe class Q2_KDot
{
    public const int BlockBytes = 84;
    private const int BlockSize = 256;
    public const int QuantsOffset = 16;
    public const int ScaleOffset = 80;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            sbyte* a = Q8_KBlock.Quants(activations);
            int scaled = 0;
            for (int g = 0; g < 16; g++)
            {
                int dot = 0;
                for (int e = 16 * g; e < 16 * g + 16; e++)
                    dot += ((weights[QuantsOffset + 32 * (e / 128) + e % 32] >> (2 * (e % 128 / 32))) & 3) * a[e];
                scaled += (weights[g] & 0x0F) * dot;
            }
            float da = Q8_KBlock.Scale(activations);
            sum += HalfBits.ToSingle(weights + ScaleOffset) * da * scaled
                - HalfBits.ToSingle(weights + ScaleOffset + 2) * da * MinimumDot(weights, Q8_KBlock.Sums(activations));
        }
        return sum;
    }

    /// <summary>Σ_g (scales[g] &gt;&gt; 4) * sums[g].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MinimumDot(byte* scales, short* sums)
    {
        int total = 0;
        for (int g = 0; g < 16; g++)
            total += (scales[g] >> 4) * sums[g];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)3);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            sbyte* a = Q8_KBlock.Quants(activations);
            var scaleWords = ScaleWords(weights);
            var sumi = HalfDotAvx2(weights, a, scaleWords, 0, mask) + HalfDotAvx2(weights, a, scaleWords, 1, mask);
            acc = AccumulateBlockAvx2(acc, sumi, weights, halfTable, activations);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>One weight row against two tokens' activations <paramref name="stride"/> bytes apart (batches of two or
    /// three tokens, and the pair left after four-token groups): each chunk's levels and scales are decoded once for
    /// both, and each token's block sum ends as <see cref="DotAvx2"/>'s does (the integer sums are exact in any order),
    /// so the results are its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot2Avx2(byte* weights, byte* activations, nint stride, int k, float* results)
    {
        float* halfTable = HalfBits.Table;
        Vector256<float> accX = default, accZ = default;
        var mask = Vector256.Create((byte)3);
        byte* x = activations, z = activations + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, x += Q8_KActivations.BlockBytes, z += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            sbyte* ax = Q8_KBlock.Quants(x), az = Q8_KBlock.Quants(z);
            var scaleWords = ScaleWords(weights);
            Vector256<int> sx = default, sz = default;
            var pick = KQuantScales.FirstWordPick;
            for (int half = 0; half < 2; half++)
            {
                var packed = Vector256.Load(weights + QuantsOffset + 32 * half).AsUInt16();
                for (int j = 0; j < 4; j++, ax += 32, az += 32)
                {
                    var chunk = NextChunk(ref packed, ref pick, scaleWords, mask);
                    sx += chunk.Dot(ax);
                    sz += chunk.Dot(az);
                }
            }
            accX = AccumulateBlockAvx2(accX, sx, weights, halfTable, x);
            accZ = AccumulateBlockAvx2(accZ, sz, weights, halfTable, z);
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
        var mask = Vector256.Create((byte)3);
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scaleWords = ScaleWords(weights);
            nint offset = b * Q8_KActivations.BlockBytes;
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            var pick = KQuantScales.FirstWordPick;
            for (int half = 0; half < 2; half++)
            {
                var packed = Vector256.Load(weights + QuantsOffset + 32 * half).AsUInt16();
                for (int j = 0; j < 4; j++)
                {
                    var chunk = NextChunk(ref packed, ref pick, scaleWords, mask);
                    nint at = offset + Q8_KActivations.QuantsOffset + 128 * half + 32 * j;
                    s0 += chunk.Dot((sbyte*)(a0 + at));
                    s1 += chunk.Dot((sbyte*)(a1 + at));
                    s2 += chunk.Dot((sbyte*)(a2 + at));
                    if (four)
                        s3 += chunk.Dot((sbyte*)(a3 + at));
                }
            }
            acc0 = AccumulateBlockAvx2(acc0, s0, weights, halfTable, a0 + offset);
            acc1 = AccumulateBlockAvx2(acc1, s1, weights, halfTable, a1 + offset);
            acc2 = AccumulateBlockAvx2(acc2, s2, weights, halfTable, a2 + offset);
            if (four)
                acc3 = AccumulateBlockAvx2(acc3, s3, weights, halfTable, a3 + offset);
        }
        results[0] = Vector256.Sum(acc0);
        results[1] = Vector256.Sum(acc1);
        results[2] = Vector256.Sum(acc2);
        if (four)
            results[3] = Vector256.Sum(acc3);
    }

    /// <summary>The low nibbles of the sixteen scale bytes, the group scales (0..15), as <see cref="KQuantScales.GroupScaleWords"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> ScaleWords(byte* block) =>
        KQuantScales.GroupScaleWords((Vector128.Load(block) & Vector128.Create((byte)0x0F)).AsSByte());

    /// <summary>One block against one token's Q8_K block at <paramref name="activation"/>, in the AVX2 dots' order:
    /// acc += float(the scaled level products) * (d * d_x), then acc -= float(the mins' products) * (dmin * d_x), the
    /// mins being the high nibbles of the scale bytes (0..15). The single and many-token dots share it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AccumulateBlockAvx2(Vector256<float> acc, Vector256<int> sums, byte* block, float* halfTable, byte* activation)
    {
        float da = Q8_KBlock.Scale(activation);
        acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Create(halfTable[*(ushort*)(block + ScaleOffset)] * da), acc);
        var minimums = KQuantScales.GroupSumProducts(Vector128.ShiftRightLogical(Vector128.Load(block), 4).AsSByte(), Q8_KBlock.Sums(activation));
        return Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(minimums), Vector256.Create(halfTable[*(ushort*)(block + ScaleOffset + 2)] * da), acc);
    }

    /// <summary>Σ scale (levels · a) over one 128-value half: its four 32-value chunks written out, each chunk's
    /// scale pair picked by a constant shuffle (a running index cost three instructions more per chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfDotAvx2(byte* weights, sbyte* a, Vector256<byte> scaleWords, int half, Vector256<byte> mask)
    {
        var packed = Vector256.Load(weights + QuantsOffset + 32 * half).AsUInt16();
        a += 128 * half;
        return ChunkLevels(packed, scaleWords, half, 0, mask).Dot(a) + ChunkLevels(packed, scaleWords, half, 1, mask).Dot(a + 32)
            + (ChunkLevels(packed, scaleWords, half, 2, mask).Dot(a + 64) + ChunkLevels(packed, scaleWords, half, 3, mask).Dot(a + 96));
    }

    /// <summary>The many-token dots' next chunk: <see cref="ChunkLevels"/> for the chunk whose levels are the lowest two
    /// bits of <paramref name="packed"/>'s bytes and whose scale pair <paramref name="pick"/> picks, which then step to
    /// the next chunk's (<see cref="KQuantScales.TakeWord"/>, as Q3_K's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ScaledLevelsAvx2 NextChunk(ref Vector256<ushort> packed, ref Vector256<byte> pick, Vector256<byte> scaleWords, Vector256<byte> mask)
    {
        var chunk = new ScaledLevelsAvx2(packed.AsByte() & mask, KQuantScales.TakeWord(scaleWords, ref pick));
        packed >>= 2;
        return chunk;
    }

    /// <summary>Chunk j of one half (32 values: bits 2j..2j+1 of the half's 32 bytes) with its two groups' scales, for
    /// the single dot, whose chunks are written out so that every shift and pick is a constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ScaledLevelsAvx2 ChunkLevels(Vector256<ushort> packed, Vector256<byte> scaleWords, int half, int j, Vector256<byte> mask) =>
        new((packed >> (2 * j)).AsByte() & mask, KQuantScales.PickWord(scaleWords, 4 * half + j));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float sum = 0;
        var mask = Vector128.Create((byte)3);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            sbyte* a = Q8_KBlock.Quants(activations);
            int scaled = 0;
            for (int g = 0; g < 16; g++)
            {
                // Group g: half g/8, shift pair j = (g%8)/2, bytes 16*(g%2) .. +15 of that half.
                var packed = Vector128.Load(weights + QuantsOffset + 32 * (g / 8) + 16 * (g % 2));
                var levels = Vector128.ShiftRightLogical(packed, 2 * (g % 8 / 2)) & mask;
                scaled += (weights[g] & 0x0F) * Vector128.Sum(SimdInt8.MultiplySum(levels.AsSByte(), Vector128.Load(a + 16 * g)));
            }
            float da = Q8_KBlock.Scale(activations);
            sum += halfTable[*(ushort*)(weights + ScaleOffset)] * da * scaled
                - halfTable[*(ushort*)(weights + ScaleOffset + 2)] * da * MinimumDot(weights, Q8_KBlock.Sums(activations));
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
