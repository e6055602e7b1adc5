using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q4_1;

/// <summary>
/// Q4_1 weights · Q8_1 activations. block_q4_1 = { half d; half m; byte qs[16] } (20 bytes): value = d * level + m,
/// levels 0..15 in Q4_0's nibble order. Σ (d l + m) d_a a = d d_a (l · a) + m s_a, with s_a = d_a Σa from the Q8_1 block.
/// </summary>
internal static unsafe class Q4_1Dot
{
    public const int BlockBytes = 20;
    private const int BlockSize = 32;
    private const int ActivationBytes = Q8_1.Q8_1Activations.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            byte* qs = weights + 4;
            sbyte* a = (sbyte*)(activations + 4);
            int dot = 0;
            for (int j = 0; j < 16; j++)
                dot += (qs[j] & 0x0F) * a[j] + (qs[j] >> 4) * a[j + 16];
            sum += HalfBits.ToSingle(weights) * HalfBits.ToSingle(activations) * dot
                + HalfBits.ToSingle(weights + 2) * HalfBits.ToSingle(activations + 2);
        }
        return sum;
    }

    /// <summary>Two blocks a step, each with its own accumulator and offset sum: one accumulator chained every block's
    /// FMA (and the offsets every block's add) and held decode at about half the machine's read rate. The weights are
    /// requested ahead as the loop goes (<c>WeightPrefetch.Stream</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        float offsets0 = 0, offsets1 = 0;
        int blocks = k / BlockSize;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, weights += 2 * BlockBytes, activations += 2 * ActivationBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * BlockBytes);
            acc0 = Block(acc0, weights, activations, halfTable);
            acc1 = Block(acc1, weights + BlockBytes, activations + ActivationBytes, halfTable);
            offsets0 += Offset(weights, activations, halfTable);
            offsets1 += Offset(weights + BlockBytes, activations + ActivationBytes, halfTable);
        }
        if (b < blocks)
        {
            acc0 = Block(acc0, weights, activations, halfTable);
            offsets0 += Offset(weights, activations, halfTable);
        }
        return Vector256.Sum(acc0 + acc1) + (offsets0 + offsets1);
    }

    /// <summary>acc += float(levels · a) * (d d_a) for the block at <paramref name="w"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block(Vector256<float> acc, byte* w, byte* a, float* halfTable)
    {
        var dot = SimdInt8.MultiplySumUnsigned(BlockBits.Nibbles(w + 4), Vector256.Load((sbyte*)(a + 4)));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(halfTable[*(ushort*)w] * halfTable[*(ushort*)a]), acc);
    }

    /// <summary>The block's m s_a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Offset(byte* w, byte* a, float* halfTable) => halfTable[*(ushort*)(w + 2)] * halfTable[*(ushort*)(a + 2)];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            var (low, high) = BlockBits.Levels128(weights + 4, 0);
            var dot = SimdInt8.MultiplySum(low.AsSByte(), Vector128.Load((sbyte*)(activations + 4)))
                + SimdInt8.MultiplySum(high.AsSByte(), Vector128.Load((sbyte*)(activations + 20)));
            sum += halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations] * Vector128.Sum(dot)
                + halfTable[*(ushort*)(weights + 2)] * halfTable[*(ushort*)(activations + 2)];
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
