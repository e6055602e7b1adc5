using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q5_0;

/// <summary>
/// Q5_0 weights · Q8_0 activations. block_q5_0 = { half d; uint qh; byte qs[16] } (22 bytes): value = d * (level - 16),
/// level 0..31 = nibble (Q4_0 order) | bit e of qh &lt;&lt; 4.
/// </summary>
internal static unsafe class Q5_0Dot
{
    public const int BlockBytes = 22;
    private const int BlockSize = 32;
    private const int ActivationBytes = Q8_0.Q8_0Activations.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            uint qh = *(uint*)(weights + 2);
            byte* qs = weights + 6;
            sbyte* a = (sbyte*)(activations + 2);
            int dot = 0;
            for (int j = 0; j < 16; j++)
            {
                int low = ((qs[j] & 0x0F) | (int)((qh >> j) & 1) << 4) - 16;
                int high = ((qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4) - 16;
                dot += low * a[j] + high * a[j + 16];
            }
            sum += HalfBits.ToSingle(weights) * HalfBits.ToSingle(activations) * dot;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            var levels = (BlockBits.Nibbles(weights + 6) | BlockBits.FifthBits(*(uint*)(weights + 2))).AsSByte() - Vector256.Create((sbyte)16);
            var dot = SimdInt8.MultiplySum(levels, Vector256.Load((sbyte*)(activations + 2)));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations]), acc);
        }
        return Vector256.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float sum = 0;
        var sixteen = Vector128.Create((sbyte)16);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            var (low, high) = BlockBits.Levels128(weights + 6, *(uint*)(weights + 2));
            var dot = SimdInt8.MultiplySum(low.AsSByte() - sixteen, Vector128.Load((sbyte*)(activations + 2)))
                + SimdInt8.MultiplySum(high.AsSByte() - sixteen, Vector128.Load((sbyte*)(activations + 18)));
            sum += halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations] * Vector128.Sum(dot);
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
