using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.F16;

/// <summary>
/// F16 weight row · F32 activations. The halves are widened to 32-bit lanes and converted with integer arithmetic
/// (<see cref="HalfBits"/>), then multiplied in float with FMA. The SIMD paths check each block of 16 or 32 halves
/// for Inf/NaN with one compare and take the three-operation finite conversion when there is none (decode is bound
/// by this arithmetic as much as by memory: .NET exposes no F16C).
/// </summary>
internal static unsafe class F16Dot
{

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* x, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)x;
        float sum = 0;
        for (int i = 0; i < k; i++)
            sum += HalfBits.ToSingle(w[i]) * a[i];
        return sum;
    }

    /// <summary>32 halves per step, one Inf/NaN check for all of them (the check costs as much as a conversion, so
    /// sharing it across two loads pays), four accumulators so the FMA chains overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* x, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)x;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            WeightPrefetch.Stream((byte*)(w + i), 64);
            if (HalfBits.AnyInfOrNaN(Vector256.Load(w + i), Vector256.Load(w + i + 16)))
            {
                acc0 = Fma.MultiplyAdd(Load8(w + i), Avx.LoadVector256(a + i), acc0);
                acc1 = Fma.MultiplyAdd(Load8(w + i + 8), Avx.LoadVector256(a + i + 8), acc1);
                acc2 = Fma.MultiplyAdd(Load8(w + i + 16), Avx.LoadVector256(a + i + 16), acc2);
                acc3 = Fma.MultiplyAdd(Load8(w + i + 24), Avx.LoadVector256(a + i + 24), acc3);
                continue;
            }
            acc0 = Fma.MultiplyAdd(LoadFinite8(w + i), Avx.LoadVector256(a + i), acc0);
            acc1 = Fma.MultiplyAdd(LoadFinite8(w + i + 8), Avx.LoadVector256(a + i + 8), acc1);
            acc2 = Fma.MultiplyAdd(LoadFinite8(w + i + 16), Avx.LoadVector256(a + i + 16), acc2);
            acc3 = Fma.MultiplyAdd(LoadFinite8(w + i + 24), Avx.LoadVector256(a + i + 24), acc3);
        }
        for (; i + 8 <= k; i += 8)
            acc0 = Fma.MultiplyAdd(Load8(w + i), Avx.LoadVector256(a + i), acc0);
        float sum = Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
        for (; i < k; i++)
            sum += HalfBits.ToSingle(w[i]) * a[i];
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
            if (HalfBits.AnyInfOrNaN(Vector512.Load(w + i)))
            {
                acc0 = Avx512F.FusedMultiplyAdd(Load16(w + i), Vector512.Load(a + i), acc0);
                acc1 = Avx512F.FusedMultiplyAdd(Load16(w + i + 16), Vector512.Load(a + i + 16), acc1);
                continue;
            }
            acc0 = Avx512F.FusedMultiplyAdd(LoadFinite16(w + i), Vector512.Load(a + i), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(LoadFinite16(w + i + 16), Vector512.Load(a + i + 16), acc1);
        }
        for (; i + 16 <= k; i += 16)
            acc0 = Avx512F.FusedMultiplyAdd(Load16(w + i), Vector512.Load(a + i), acc0);
        float sum = Vector512.Sum(acc0 + acc1);
        for (; i < k; i++)
            sum += HalfBits.ToSingle(w[i]) * a[i];
        return sum;
    }

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
            var halves = Vector128.Load(w + i);
            acc0 += HalfBits.ToSingle(Vector128.WidenLower(halves)) * Vector128.Load(a + i);
            acc1 += HalfBits.ToSingle(Vector128.WidenUpper(halves)) * Vector128.Load(a + i + 4);
        }
        float sum = Vector128.Sum(acc0 + acc1);
        for (; i < k; i++)
            sum += HalfBits.ToSingle(w[i]) * a[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load8(ushort* halves) => HalfBits.ToSingle(Avx2.ConvertToVector256Int32(halves).AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadFinite8(ushort* halves) => HalfBits.FiniteToSingle(Avx2.ConvertToVector256Int32((short*)halves));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadFinite16(ushort* halves) => HalfBits.FiniteToSingle(Avx512F.ConvertToVector512Int32(Vector256.Load((short*)halves)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load16(ushort* halves) => HalfBits.ToSingle(Avx512F.ConvertToVector512UInt32(Vector256.Load(halves)));

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotVector128),
        new(Isa.Avx2, IsaSupport.Avx2, &DotAvx2),
        new(Isa.Avx512, IsaSupport.Avx512, &DotAvx512),
    ];
}
