using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q3_K;

/// <summary>
/// Q3_K weights · Q8_K activations. block_q3_K = { byte hmask[32]; byte qs[64]; byte scales[12]; half d } (110 bytes,
/// 256 values in 16 groups of 16): value = d * (scale_g - 32) * level, level = low2 - (high bit ? 0 : 4) in -4..3.
/// low2 of value 128n + 32j + l is bits 2j..2j+1 of qs[32n + l]; its high bit is bit 4n + j of hmask[l].
/// 6-bit scale g: low 4 bits = scales[g] &amp; 15 (g &lt; 8) or scales[g-8] &gt;&gt; 4; top 2 bits = bits 2(g/4).. of scales[8 + g%4].
/// SIMD paths use level + 4 (0..7, unsigned) and subtract 4 * Σ scale_g * (activation sum of g).
/// </summary>
internal static unsafe class Q3_KDot
{
    public const int BlockBytes = 110;
    private const int BlockSize = 256;
    internal const int QuantsOffset = 32;
    internal const int ScalesOffset = 96;
    internal const int ScaleOffset = 108;
    private const int LevelOffsetBits = 2;
    private const int LevelOffset = 1 << LevelOffsetBits;   // 4

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeScales(byte* packed, int* scales)
    {
        for (int g = 0; g < 16; g++)
        {
            int low = g < 8 ? packed[g] & 0x0F : packed[g - 8] >> 4;
            int high = (packed[8 + g % 4] >> (2 * (g / 4))) & 3;
            scales[g] = (low | high << 4) - 32;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        int* scales = stackalloc int[16];
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            DecodeScales(weights + ScalesOffset, scales);
            sbyte* a = Q8_KBlock.Quants(activations);
            int total = 0;
            for (int g = 0; g < 16; g++)
            {
                int dot = 0;
                for (int e = 16 * g; e < 16 * g + 16; e++)
                {
                    int n = e / 128, j = e % 128 / 32, l = e % 32;
                    int low2 = (weights[QuantsOffset + 32 * n + l] >> (2 * j)) & 3;
                    int high = (weights[l] >> (4 * n + j)) & 1;
                    dot += (low2 - (high != 0 ? 0 : LevelOffset)) * a[e];
                }
                total += scales[g] * dot;
            }
            sum += HalfBits.ToSingle(weights + ScaleOffset) * Q8_KBlock.Scale(activations) * total;
        }
        return sum;
    }

    /// <summary>
    /// <see cref="DecodeScales"/> on 32-bit words for the SIMD path: with u0..u2 the little-endian words of the
    /// field, codes 0-3 = (u0 &amp; 0x0f..) | (u2 &amp; 0x03..) &lt;&lt; 4, 4-7 use u1 and u2 &gt;&gt; 2, 8-11 u0 &gt;&gt; 4 and
    /// u2 &gt;&gt; 4, 12-15 u1 &gt;&gt; 4 and u2 &gt;&gt; 6; minus 32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<sbyte> DecodeScalesPacked(byte* packed)
    {
        uint u0 = *(uint*)packed, u1 = *(uint*)(packed + 4), u2 = *(uint*)(packed + 8);
        const uint Low = 0x0F0F0F0F, High = 0x03030303;
        var codes = Vector128.Create(
            (u0 & Low) | (u2 & High) << 4,
            (u1 & Low) | ((u2 >> 2) & High) << 4,
            ((u0 >> 4) & Low) | ((u2 >> 4) & High) << 4,
            ((u1 >> 4) & Low) | ((u2 >> 6) & High) << 4);
        return codes.AsSByte() - Vector128.Create((sbyte)32);
    }

    /// <summary>4 * Σ_g scale_g * sums_g: the contribution of the +4 level bias the SIMD paths add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OffsetDot(int* scales, short* sums)
    {
        int total = 0;
        for (int g = 0; g < 16; g++)
            total += scales[g] * sums[g];
        return LevelOffset * total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((ushort)0x0303);
        var bit = Vector256.Create((ushort)0x0101);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scales = DecodeScalesPacked(weights + ScalesOffset);
            sbyte* a = Q8_KBlock.Quants(activations);
            var hmask = Vector256.Load(weights).AsUInt16();
            var scaleWords = KQuantScales.GroupScaleWords(scales);
            var sumi = HalfDotAvx2(weights, hmask, a, scaleWords, 0, mask, bit) + HalfDotAvx2(weights, hmask, a, scaleWords, 1, mask, bit);
            acc = AccumulateBlockAvx2(acc, sumi, halfTable[*(ushort*)(weights + ScaleOffset)], scales, activations);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>One weight row against two tokens' activations <paramref name="stride"/> bytes apart (batches of two or
    /// three tokens, and the pair left after a four-token group): each block's scales and each chunk's levels are
    /// decoded once for both, and each token's block sum ends as <see cref="DotAvx2"/>'s does (the integer sums are
    /// exact in any order), so the results are its bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot2Avx2(byte* weights, byte* activations, nint stride, int k, float* results)
    {
        float* halfTable = HalfBits.Table;
        Vector256<float> accX = default, accZ = default;
        var mask = Vector256.Create((ushort)0x0303);
        var bit = Vector256.Create((ushort)0x0101);
        byte* x = activations, z = activations + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, x += Q8_KActivations.BlockBytes, z += Q8_KActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scales = DecodeScalesPacked(weights + ScalesOffset);
            var hmask = Vector256.Load(weights).AsUInt16();
            var scaleWords = KQuantScales.GroupScaleWords(scales);
            sbyte* ax = Q8_KBlock.Quants(x), az = Q8_KBlock.Quants(z);
            Vector256<int> sx = default, sz = default;
            var pick = KQuantScales.FirstWordPick;
            for (int n = 0; n < 2; n++)
            {
                var packed = Vector256.Load(weights + QuantsOffset + 32 * n).AsUInt16();
                for (int j = 0; j < 4; j++, ax += 32, az += 32)
                {
                    var chunk = NextChunk(ref packed, ref hmask, ref pick, scaleWords, mask, bit);
                    sx += chunk.Dot(ax);
                    sz += chunk.Dot(az);
                }
            }
            float d = halfTable[*(ushort*)(weights + ScaleOffset)];
            accX = AccumulateBlockAvx2(accX, sx, d, scales, x);
            accZ = AccumulateBlockAvx2(accZ, sz, d, scales, z);
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
        var mask = Vector256.Create((ushort)0x0303);
        var bit = Vector256.Create((ushort)0x0101);
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, BlockBytes);
            var scales = DecodeScalesPacked(weights + ScalesOffset);
            var hmask = Vector256.Load(weights).AsUInt16();
            var scaleWords = KQuantScales.GroupScaleWords(scales);
            nint offset = b * Q8_KActivations.BlockBytes;
            Vector256<int> s0 = default, s1 = default, s2 = default, s3 = default;
            var pick = KQuantScales.FirstWordPick;
            for (int n = 0; n < 2; n++)
            {
                var packed = Vector256.Load(weights + QuantsOffset + 32 * n).AsUInt16();
                for (int j = 0; j < 4; j++)
                {
                    var chunk = NextChunk(ref packed, ref hmask, ref pick, scaleWords, mask, bit);
                    nint at = offset + Q8_KActivations.QuantsOffset + 128 * n + 32 * j;
                    s0 += chunk.Dot((sbyte*)(a0 + at));
                    s1 += chunk.Dot((sbyte*)(a1 + at));
                    s2 += chunk.Dot((sbyte*)(a2 + at));
                    if (four)
                        s3 += chunk.Dot((sbyte*)(a3 + at));
                }
            }
            float d = halfTable[*(ushort*)(weights + ScaleOffset)];
            acc0 = AccumulateBlockAvx2(acc0, s0, d, scales, a0 + offset);
            acc1 = AccumulateBlockAvx2(acc1, s1, d, scales, a1 + offset);
            acc2 = AccumulateBlockAvx2(acc2, s2, d, scales, a2 + offset);
            if (four)
                acc3 = AccumulateBlockAvx2(acc3, s3, d, scales, a3 + offset);
        }
        results[0] = Vector256.Sum(acc0);
        results[1] = Vector256.Sum(acc1);
        results[2] = Vector256.Sum(acc2);
        if (four)
            results[3] = Vector256.Sum(acc3);
    }

    /// <summary>One block against one token's Q8_K block at <paramref name="activation"/>, in the AVX2 dots' order: the
    /// level bias's term taken off the scaled level products lane by lane (times 4 as a shift), then
    /// acc += float(that) * (d * d_x). The single and many-token dots share it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> AccumulateBlockAvx2(Vector256<float> acc, Vector256<int> sums, float d, Vector128<sbyte> scales, byte* activation)
    {
        sums -= Avx2.ShiftLeftLogical(KQuantScales.GroupSumProducts(scales, Q8_KBlock.Sums(activation)), LevelOffsetBits);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Create(d * Q8_KBlock.Scale(activation)), acc);
    }

    /// <summary>Σ scale_g (levels + 4) · a over one 128-value half: four 32-value chunks written out, each chunk's
    /// scale pair picked by a constant shuffle (a running index cost three instructions more per chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfDotAvx2(byte* weights, Vector256<ushort> hmask, sbyte* a, Vector256<byte> scaleWords, int n,
        Vector256<ushort> mask, Vector256<ushort> bit)
    {
        var packed = Vector256.Load(weights + QuantsOffset + 32 * n).AsUInt16();
        a += 128 * n;
        return ChunkLevels(packed, hmask, scaleWords, n, 0, mask, bit).Dot(a) + ChunkLevels(packed, hmask, scaleWords, n, 1, mask, bit).Dot(a + 32)
            + (ChunkLevels(packed, hmask, scaleWords, n, 2, mask, bit).Dot(a + 64) + ChunkLevels(packed, hmask, scaleWords, n, 3, mask, bit).Dot(a + 96));
    }

    /// <summary>The many-token dots' next chunk: <see cref="ChunkLevels"/> for the chunk whose level bits are the lowest
    /// of <paramref name="packed"/> and <paramref name="hmask"/> and whose scale pair <paramref name="pick"/> picks, which
    /// then step to the next chunk's (<see cref="KQuantScales.TakeWord"/>; with the chunk indices in the loop each shift
    /// and pick had been a variable one, and the two-token dot slower than two single dots).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ScaledLevelsAvx2 NextChunk(ref Vector256<ushort> packed, ref Vector256<ushort> hmask, ref Vector256<byte> pick,
        Vector256<byte> scaleWords, Vector256<ushort> mask, Vector256<ushort> bit)
    {
        var chunk = new ScaledLevelsAvx2(Levels(packed, hmask, mask, bit), KQuantScales.TakeWord(scaleWords, ref pick));
        packed >>= 2;
        hmask >>= 1;
        return chunk;
    }

    /// <summary>Chunk j of half n (32 values, levels + 4 in 0..7: two bits of qs and the high bit of hmask) with its two
    /// groups' scales, for the single dot, whose chunks are written out so that every shift and pick is a constant.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ScaledLevelsAvx2 ChunkLevels(Vector256<ushort> packed, Vector256<ushort> hmask, Vector256<byte> scaleWords,
        int n, int j, Vector256<ushort> mask, Vector256<ushort> bit) =>
        new(Levels(packed >> (2 * j), hmask >> (4 * n + j), mask, bit), KQuantScales.PickWord(scaleWords, 4 * n + j));

    /// <summary>Levels + 4 (0..7) of 32 values: the lowest two bits of each byte of <paramref name="packed"/> and, as the
    /// third, the lowest bit of each byte of <paramref name="hmask"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Levels(Vector256<ushort> packed, Vector256<ushort> hmask, Vector256<ushort> mask, Vector256<ushort> bit) =>
        ((packed & mask) | ((hmask & bit) << 2)).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        int* scales = stackalloc int[16];
        float sum = 0;
        var mask = Vector128.Create((byte)3);
        var one = Vector128.Create((byte)1);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            DecodeScales(weights + ScalesOffset, scales);
            sbyte* a = Q8_KBlock.Quants(activations);
            int total = 0;
            for (int g = 0; g < 16; g++)
            {
                int n = g / 8, j = g % 8 / 2, part = g % 2;
                var low2 = Vector128.ShiftRightLogical(Vector128.Load(weights + QuantsOffset + 32 * n + 16 * part), 2 * j) & mask;
                var high = Vector128.ShiftLeft(Vector128.ShiftRightLogical(Vector128.Load(weights + 16 * part), 4 * n + j) & one, 2);
                total += scales[g] * Vector128.Sum(SimdInt8.MultiplySum((low2 | high).AsSByte(), Vector128.Load(a + 16 * g)));
            }
            total -= OffsetDot(scales, Q8_KBlock.Sums(activations));
            sum += halfTable[*(ushort*)(weights + ScaleOffset)] * Q8_KBlock.Scale(activations) * total;
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
