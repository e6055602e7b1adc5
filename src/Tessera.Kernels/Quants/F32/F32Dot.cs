using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;

namespace Tessera.Kernels.Quants.F32;

/// <summary>
/// F32 weight row · F32 activations. The AVX2 and AVX-512 paths are our own, fully optimized from the first call and
/// streaming their weights like the other decode dots; <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// serves the portable path (ARM64). A generic framework method starts as quickly compiled code, which made the first
/// second of a small F32 model's decoding (and the device speed measurement) several times slower.
/// </summary>
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* x, int k)
    {
        float* w = (float*)weights, a = (float*)x;
        Vector256<float> acc0 = default, acc1 = default;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            WeightPrefetch.StreamFar((byte*)(w + i), 64);
            acc0 = Fma.MultiplyAdd(Avx.LoadVector256(w + i), Avx.LoadVector256(a + i), acc0);
            acc1 = Fma.MultiplyAdd(Avx.LoadVector256(w + i + 8), Avx.LoadVector256(a + i + 8), acc1);
        }
        float sum = Vector256.Sum(acc0 + acc1);
        for (; i < k; i++)
            sum += w[i] * a[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx512(byte* weights, byte* x, int k)
    {
        float* w = (float*)weights, a = (float*)x;
        Vector512<float> acc0 = default, acc1 = default;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            WeightPrefetch.StreamFar((byte*)(w + i), 128);
            acc0 = Avx512F.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(a + i), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Vector512.Load(w + i + 16), Vector512.Load(a + i + 16), acc1);
        }
        for (; i + 16 <= k; i += 16)
            acc0 = Avx512F.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(a + i), acc0);
        float sum = Vector512.Sum(acc0 + acc1);
        for (; i < k; i++)
            sum += w[i] * a[i];
        return sum;
    }

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotSimd),
        new(Isa.Avx2, IsaSupport.Avx2, &DotAvx2),
        new(Isa.Avx512, IsaSupport.Avx512, &DotAvx512),
    ];
}
