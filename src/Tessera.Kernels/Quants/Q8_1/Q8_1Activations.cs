using System.Runtime.CompilerServices;
using Tessera.Kernels.Numerics;
using Tessera.Tensors;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants.Q8_1;

/// <summary>
/// F32 activations to Q8_1 blocks { half d; half s; sbyte q[32] } (36 bytes): the Q8_0 quants plus s = d * sum(q)
/// (with the unrounded float d), which lets Q4_1/Q5_1 kernels add the weight minimum's contribution m * s directly.
/// </summary>
internal static unsafe class Q8_1Activations
{
    public const int BlockSize = 32;
    public const int BlockBytes = 36;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination)
    {
        if (IsaSupport.Avx2)
            QuantizeAvx2(x, k, destination);
        else if (IsaSupport.Vector128)
            QuantizeVector128(x, k, destination);
        else
            QuantizeScalar(x, k, destination);
    }

    /// <summary>Without SIMD: the readable reference quantizer of <c>Tessera.Tensors</c> itself.</summary>
    public static void QuantizeScalar(float* x, int k, byte* destination) =>
        Tensors.Quants.Q8_1.Quantize(new ReadOnlySpan<float>(x, k), new Span<byte>(destination, k / BlockSize * BlockBytes));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeVector128(float* x, int k, byte* destination)
    {
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, destination += BlockBytes)
        {
            var (d, sum) = Q8_0Activations.QuantizeBlockVector128(x, destination, (sbyte*)(destination + 4));
            *(ushort*)(destination + 2) = HalfConversion.ToHalf(sum * d);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeAvx2(float* x, int k, byte* destination)
    {
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, destination += BlockBytes)
        {
            var (d, sum) = Q8_0Activations.QuantizeBlockAvx2(x, destination, (sbyte*)(destination + 4));
            *(ushort*)(destination + 2) = HalfConversion.ToHalf(sum * d);
        }
    }
}
