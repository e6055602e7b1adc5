using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace Tessera.Kernels.Quants.F32;

/// <summary>F32 weight row · F32 activations. The SIMD path is <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>,
/// which already picks AVX-512/AVX2/NEON itself.</summary>
internal static unsafe class F32Dot
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* x, int k)
    {
        float* w = (float*)weights, a = (float*)x;
        double sum = 0;
        for (int i = 0; i < k; i++)
            sum += (double)w[i] * a[i];
        return (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotSimd(byte* weights, byte* x, int k) =>
        TensorPrimitives.Dot(new ReadOnlySpan<float>(weights, k), new ReadOnlySpan<float>(x, k));

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotSimd),
    ];
}
