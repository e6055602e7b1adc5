using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.BF16;

/// <summary>BF16 weight row · F32 activations: a bfloat16 widened and shifted left 16 bits is the float itself.</summary>
internal static unsafe class BF16Dot
{

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* x, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)x;
        float sum = 0;
        for (int i = 0; i < k; i++)
            sum += HalfBits.BFloat16ToSingle(w[i]) * a[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* x, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)x;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            WeightPrefetch.Stream((byte*)(w + i), 32);
            var w0 = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(w + i), 16).AsSingle();
            var w1 = Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(w + i + 8), 16).AsSingle();
            acc0 = Fma.MultiplyAdd(w0, Avx.LoadVector256(a + i), acc0);
            acc1 = Fma.MultiplyAdd(w1, Avx.LoadVector256(a + i + 8), acc1);
        }
        float sum = Vector256.Sum(acc0 + acc1);
        for (; i < k; i++)
            sum += HalfBits.BFloat16ToSingle(w[i]) * a[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx512(byte* weights, byte* x, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)x;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            WeightPrefetch.Stream((byte*)(w + i), 64);
            acc0 = Avx512F.FusedMultiplyAdd(Load16(w + i), Vector512.Load(a + i), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Load16(w + i + 16), Vector512.Load(a + i + 16), acc1);
        }
        for (; i + 16 <= k; i += 16)
            acc0 = Avx512F.FusedMultiplyAdd(Load16(w + i), Vector512.Load(a + i), acc0);
        float sum = Vector512.Sum(acc0 + acc1);
        for (; i < k; i++)
            sum += HalfBits.BFloat16ToSingle(w[i]) * a[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load16(ushort* values) => (Avx512F.ConvertToVector512UInt32(Vector256.Load(values)) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* x, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)x;
        var acc0 = Vector128<float>.Zero;
        var acc1 = Vector128<float>.Zero;
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var bits = Vector128.Load(w + i);
            acc0 += (Vector128.WidenLower(bits) << 16).AsSingle() * Vector128.Load(a + i);
            acc1 += (Vector128.WidenUpper(bits) << 16).AsSingle() * Vector128.Load(a + i + 4);
        }
        float sum = Vector128.Sum(acc0 + acc1);
        for (; i < k; i++)
            sum += HalfBits.BFloat16ToSingle(w[i]) * a[i];
        return sum;
    }

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotVector128),
        new(Isa.Avx2, IsaSupport.Avx2, &DotAvx2),
        new(Isa.Avx512, IsaSupport.Avx512, &DotAvx512),
    ];
}
