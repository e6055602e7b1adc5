using System.Runtime.CompilerServices;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q4_0;

/// <summary>
/// Q4_0 weights · Q8_0 activations. block_q4_0 = { half d; byte qs[16] } (18 bytes, 32 values):
/// value j = d * ((qs[j] &amp; 0xF) - 8), value j+16 = d * ((qs[j] &gt;&gt; 4) - 8), j in 0..15.
/// Per block the integer dot of the quants is scaled by d_weight * d_activation.
/// </summary>
internal static unsafe partial class Q4_0Dot
{
    public const int BlockSize = 32;
    public const int BlockBytes = 18;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_0.Q8_0Activations.BlockBytes)
        {
            byte* qs = weights + 2;
            sbyte* a = (sbyte*)(activations + 2);
            int blockSum = 0;
            for (int j = 0; j < 16; j++)
                blockSum += ((qs[j] & 0xF) - 8) * a[j] + ((qs[j] >> 4) - 8) * a[j + 16];
            sum += HalfBits.ToSingle(weights) * HalfBits.ToSingle(activations) * blockSum;
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
