using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Tensors;

namespace Tessera.Kernels.Quants.Q8_0;

/// <summary>
/// F32 activations to Q8_0 blocks { half d; sbyte q[32] } (34 bytes), matching the reference quantizer exactly:
/// d = max|x| / 127, q = round(x * (1/d)) with ties away from zero, q = 0 when d = 0.
/// The SIMD paths are 512-bit (AVX-512), 256-bit (AVX2) and portable <c>Vector128</c> code; the scalar one is the
/// reference quantizer.
/// </summary>
internal static unsafe class Q8_0Activations
{
    public const int BlockSize = 32;
    public const int BlockBytes = 34;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination)
    {
        if (IsaSupport.Avx512)
            QuantizeAvx512(x, k, destination);
        else if (IsaSupport.Avx2)
            QuantizeAvx2(x, k, destination);
        else if (IsaSupport.Vector128)
            QuantizeVector128(x, k, destination);
        else
            QuantizeScalar(x, k, destination);
    }

    /// <summary>Without SIMD: the readable reference quantizer of <c>Tessera.Tensors</c> itself.</summary>
    public static void QuantizeScalar(float* x, int k, byte* destination) =>
        Tensors.Quants.Q8_0.Quantize(new ReadOnlySpan<float>(x, k), new Span<byte>(destination, k / BlockSize * BlockBytes));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeVector128(float* x, int k, byte* destination)
    {
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, destination += BlockBytes)
            QuantizeBlockVector128(x, destination, (sbyte*)(destination + 2));
    }

    /// <summary>Writes the half scale to <paramref name="scale"/> and the quants to <paramref name="q"/>; returns (float d, sum q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float D, int Sum) QuantizeBlockVector128(float* x, byte* scale, sbyte* q)
    {
        var v0 = Vector128.Load(x);
        var v1 = Vector128.Load(x + 4);
        var v2 = Vector128.Load(x + 8);
        var v3 = Vector128.Load(x + 12);
        var v4 = Vector128.Load(x + 16);
        var v5 = Vector128.Load(x + 20);
        var v6 = Vector128.Load(x + 24);
        var v7 = Vector128.Load(x + 28);
        var max = Vector128.Max(Vector128.Max(Vector128.Max(Vector128.Abs(v0), Vector128.Abs(v1)), Vector128.Max(Vector128.Abs(v2), Vector128.Abs(v3))),
                                Vector128.Max(Vector128.Max(Vector128.Abs(v4), Vector128.Abs(v5)), Vector128.Max(Vector128.Abs(v6), Vector128.Abs(v7))));
        float maxAbs = MathF.Max(MathF.Max(max[0], max[1]), MathF.Max(max[2], max[3]));
        float d = maxAbs / 127f;
        var inverse = Vector128.Create(d != 0 ? 1f / d : 0f);
        var q0 = Narrow(RoundAway(v0 * inverse), RoundAway(v1 * inverse), RoundAway(v2 * inverse), RoundAway(v3 * inverse));
        var q1 = Narrow(RoundAway(v4 * inverse), RoundAway(v5 * inverse), RoundAway(v6 * inverse), RoundAway(v7 * inverse));
        q0.Store(q);
        q1.Store(q + 16);
        *(ushort*)scale = HalfConversion.ToHalf(d);
        var wide = Vector128.WidenLower(q0) + Vector128.WidenUpper(q0) + Vector128.WidenLower(q1) + Vector128.WidenUpper(q1);
        return (d, Vector128.Sum(Vector128.WidenLower(wide)) + Vector128.Sum(Vector128.WidenUpper(wide)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeAvx2(float* x, int k, byte* destination)
    {
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, destination += BlockBytes)
            QuantizeBlockAvx2(x, destination, (sbyte*)(destination + 2));
    }

    /// <summary>One block with 256-bit vectors (prompts quantize every token's row for every matmul: 3% of a Q4_0
    /// prompt's time on the 128-bit path): the same arithmetic, so the same bytes. Returns (float d, sum q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (float D, int Sum) QuantizeBlockAvx2(float* x, byte* scale, sbyte* q)
    {
        var v0 = Vector256.Load(x);
        var v1 = Vector256.Load(x + 8);
        var v2 = Vector256.Load(x + 16);
        var v3 = Vector256.Load(x + 24);
        var max = Vector256.MaxNative(Vector256.MaxNative(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.MaxNative(Vector256.Abs(v2), Vector256.Abs(v3)));
        float d = LargestLane(Vector128.MaxNative(max.GetLower(), max.GetUpper())) / 127f;
        var inverse = Vector256.Create(d != 0 ? 1f / d : 0f);
        var i0 = RoundAway(v0 * inverse);
        var i1 = RoundAway(v1 * inverse);
        var i2 = RoundAway(v2 * inverse);
        var i3 = RoundAway(v3 * inverse);
        // Saturating packs (the values are within -127..127, so saturating changes nothing) interleave the four
        // registers' 4-value pieces per 128-bit lane; one dword permute puts them back in order. Without AVX-512 the
        // generic Narrow is emulated with shuffles: 2048 values took 1,529 ns with it and 1,212 ns with the packs.
        var packed = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(i0, i1), Avx2.PackSignedSaturate(i2, i3));
        Avx2.PermuteVar8x32(packed.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte().Store(q);
        *(ushort*)scale = HalfConversion.ToHalf(d);
        return (d, Vector256.Sum((i0 + i1) + (i2 + i3)));
    }

    /// <summary>
    /// A block per two 512-bit registers. Decode quantizes each layer's inputs on the calling thread while the other
    /// kernel threads wait, so this is time of the whole token: 2048 values took 850 ns on the 256-bit path (before
    /// its packs and native maxima) and take 406-426 ns here. AVX-512 narrows int32 to int8 with saturation in one
    /// instruction per register (the values are within -127..127, so saturating changes nothing).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeAvx512(float* x, int k, byte* destination)
    {
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, destination += BlockBytes)
        {
            var v0 = Vector512.Load(x);
            var v1 = Vector512.Load(x + 16);
            var max256 = Vector512.MaxNative(Vector512.Abs(v0), Vector512.Abs(v1));
            var max128 = Vector256.MaxNative(max256.GetLower(), max256.GetUpper());
            float d = LargestLane(Vector128.MaxNative(max128.GetLower(), max128.GetUpper())) / 127f;
            var inverse = Vector512.Create(d != 0 ? 1f / d : 0f);
            Avx512F.ConvertToVector128SByteWithSaturation(RoundAway(v0 * inverse)).Store((sbyte*)(destination + 2));
            Avx512F.ConvertToVector128SByteWithSaturation(RoundAway(v1 * inverse)).Store((sbyte*)(destination + 18));
            *(ushort*)destination = HalfConversion.ToHalf(d);
        }
    }

    /// <summary>
    /// The largest of four absolute values, in registers. The native maximum (one instruction) is exact here: the
    /// lanes are absolute values, so the IEEE ordering of -0 and +0 that the portable Max pays for cannot arise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LargestLane(Vector128<float> absolutes)
    {
        var max = Vector128.MaxNative(absolutes, Sse.Shuffle(absolutes, absolutes, 0b01_00_11_10));
        return Vector128.MaxNative(max, Sse.Shuffle(max, max, 0b10_11_00_01)).ToScalar();
    }

    /// <inheritdoc cref="RoundAway(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> RoundAway(Vector512<float> value)
    {
        var truncated = Vector512.Truncate(value);
        var fraction = value - truncated;
        var step = Vector512.CopySign(Vector512<float>.One, value);
        var rounded = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(Vector512.Abs(fraction), Vector512.Create(0.5f)), truncated + step, truncated);
        return Vector512.ConvertToInt32(rounded);
    }

    /// <inheritdoc cref="RoundAway(Vector128{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> RoundAway(Vector256<float> value)
    {
        var truncated = Vector256.Truncate(value);
        var fraction = value - truncated;
        var step = Vector256.CopySign(Vector256<float>.One, value);
        var rounded = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(Vector256.Abs(fraction), Vector256.Create(0.5f)), truncated + step, truncated);
        return Vector256.ConvertToInt32(rounded);
    }

    /// <summary>Round to nearest, ties away from zero, exactly like C's roundf: x - trunc(x) is exact in float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<int> RoundAway(Vector128<float> value)
    {
        var truncated = Vector128.Truncate(value);
        var fraction = value - truncated;
        var step = Vector128.CopySign(Vector128<float>.One, value);
        var rounded = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(Vector128.Abs(fraction), Vector128.Create(0.5f)), truncated + step, truncated);
        return Vector128.ConvertToInt32(rounded);
    }

    /// <summary>Sixteen int32 in -127..127 to sixteen int8, order kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<sbyte> Narrow(Vector128<int> a, Vector128<int> b, Vector128<int> c, Vector128<int> d) =>
        Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d));
}
