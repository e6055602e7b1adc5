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
            sbyte* a = Q8_KBlock.Quants(activations);
            // The low nibbles of the sixteen scale bytes are the group scales (0..15).
            var scaleWords = KQuantScales.GroupScaleWords((Vector128.Load(weights) & Vector128.Create((byte)0x0F)).AsSByte());
            var sumi = HalfDotAvx2(weights, a, scaleWords, 0, mask) + HalfDotAvx2(weights, a, scaleWords, 1, mask);
            float da = Q8_KBlock.Scale(activations);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(halfTable[*(ushort*)(weights + ScaleOffset)] * da), acc);
            // The high nibbles of the scale bytes are the group mins (0..15).
            var minimums = KQuantScales.GroupSumProducts(Vector128.ShiftRightLogical(Vector128.Load(weights), 4).AsSByte(), Q8_KBlock.Sums(activations));
            acc = Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(minimums), Vector256.Create(halfTable[*(ushort*)(weights + ScaleOffset + 2)] * da), acc);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>Σ scale (levels · a) over one 128-value half: its four 32-value chunks written out, each chunk's
    /// scale pair picked by a constant shuffle (a running index cost three instructions more per chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> HalfDotAvx2(byte* weights, sbyte* a, Vector256<byte> scaleWords, int half, Vector256<byte> mask)
    {
        var packed = Vector256.Load(weights + QuantsOffset + 32 * half).AsUInt16();
        return ChunkDotAvx2(packed, a, scaleWords, half, 0, mask) + ChunkDotAvx2(packed, a, scaleWords, half, 1, mask)
            + (ChunkDotAvx2(packed, a, scaleWords, half, 2, mask) + ChunkDotAvx2(packed, a, scaleWords, half, 3, mask));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ChunkDotAvx2(Vector256<ushort> packed, sbyte* a, Vector256<byte> scaleWords, int half, int j, Vector256<byte> mask) =>
        SimdInt8.MultiplySumScaled((packed >> (2 * j)).AsByte() & mask, a + 128 * half + 32 * j,
            KQuantScales.PickWord(scaleWords, 4 * half + j));

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
