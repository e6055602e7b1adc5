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
            var (scales, mins) = KQuantScales.DecodePacked(weights + ScalesOffset);
            byte* qs = weights + QuantsOffset;
            var qh = Vector256.Load(weights + HighBitsOffset).AsUInt16();
            sbyte* a = Q8_KBlock.Quants(activations);
            // As Q4_K's: scales spread by byte shuffles, chunks written out, the mins' term kept in lanes.
            var scaleWords = KQuantScales.SubBlockScaleWords(scales);
            var sumi = ChunkDotAvx2(qs, qh, a, scaleWords, 0, mask, bitMask) + ChunkDotAvx2(qs, qh, a, scaleWords, 1, mask, bitMask)
                + (ChunkDotAvx2(qs, qh, a, scaleWords, 2, mask, bitMask) + ChunkDotAvx2(qs, qh, a, scaleWords, 3, mask, bitMask));
            float da = Q8_KBlock.Scale(activations);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(halfTable[*(ushort*)weights] * da), acc);
            var minimums = KQuantScales.MinimumProductsAvx2(mins, Q8_KBlock.Sums(activations));
            acc = Fma.MultiplyAddNegated(Avx.ConvertToVector256Single(minimums), Vector256.Create(halfTable[*(ushort*)(weights + 2)] * da), acc);
        }
        return Vector256.Sum(acc);
    }

    /// <summary>Chunk <paramref name="chunk"/> (64 values) of one token: 5-bit levels (0..31) from the nibbles and
    /// bits 2i and 2i + 1 of qh, each 32-value half times its sub-block's scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ChunkDotAvx2(byte* qs, Vector256<ushort> qh, sbyte* a, Vector256<byte> scaleWords, int chunk,
        Vector256<byte> mask, Vector256<ushort> bitMask)
    {
        var packed = Vector256.Load(qs + 32 * chunk);
        var low = (packed & mask) | (((qh >> (2 * chunk)) & bitMask) << 4).AsByte();
        var high = (Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask) | (((qh >> (2 * chunk + 1)) & bitMask) << 4).AsByte();
        return SimdInt8.MultiplySumScaled(low, a + 64 * chunk, KQuantScales.PickWord(scaleWords, 2 * chunk))
            + SimdInt8.MultiplySumScaled(high, a + 64 * chunk + 32, KQuantScales.PickWord(scaleWords, 2 * chunk + 1));
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
