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
        new(Isa.Avx2, IsaSupport.Avx2, &OffsetBlockDot<Q4_1Blocks>.DotAvx2),
    ];
}
