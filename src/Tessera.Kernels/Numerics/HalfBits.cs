using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Numerics;

/// <summary>
/// IEEE half (F16) and bfloat16 to float conversions done with integer arithmetic.
/// <c>(float)someHalf</c> is a software routine in .NET and F16C is not exposed, so the kernels use this instead:
/// shifting the half's exponent+mantissa into float position and multiplying by 2^112 rebias the exponent and also
/// turns half subnormals into the right float value exactly; only Inf/NaN (exponent 31) need a separate fix-up.
/// </summary>
internal static class HalfBits
{
    /// <summary>2^112 = 2^(127 - 15): rebias from a half's exponent to a float's.</summary>
    public const float ExponentRebias = 5.192297e33f;
    private const uint HalfExponentMask = 0x7C00;
    private const uint HalfMagnitudeMask = 0x7FFF;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort half)
    {
        uint magnitude = half & HalfMagnitudeMask;
        uint sign = (uint)(half & 0x8000) << 16;
        uint bits = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(magnitude << 13) * ExponentRebias);
        if (magnitude >= HalfExponentMask)
            bits = 0x7F800000 | (magnitude & 0x3FF) << 13;   // Inf stays Inf, NaN keeps its payload
        return BitConverter.UInt32BitsToSingle(bits | sign);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float ToSingle(byte* half) => ToSingle(*(ushort*)half);

    /// <summary>
    /// All 65,536 halves as floats (256 KiB, native memory). Block scales are converted with one load from it:
    /// kernels copy the pointer to a local once per row, and the few distinct scale values of a matrix stay in L1.
    /// </summary>
    public static unsafe float* Table { get; } = BuildTable();

    private static unsafe float* BuildTable()
    {
        var table = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++)
            table[i] = ToSingle((ushort)i);
        return table;
    }

    /// <summary>Float to half with round-to-nearest-even (the framework's conversion; used off the hot path).</summary>
    public static ushort FromSingle(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>bfloat16 is the top half of a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToSingle(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Eight halves (widened to 32-bit lanes) to eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> halves)
    {
        var magnitude = halves & Vector256.Create(HalfMagnitudeMask);
        var sign = (halves & Vector256.Create(0x8000u)) << 16;
        var scaled = (magnitude << 13).AsSingle() * Vector256.Create(ExponentRebias);
        var special = Vector256.GreaterThanOrEqual(magnitude, Vector256.Create(HalfExponentMask));
        var infNan = Vector256.Create(0x7F800000u) | ((magnitude & Vector256.Create(0x3FFu)) << 13);
        return (Vector256.ConditionalSelect(special, infNan, scaled.AsUInt32()) | sign).AsSingle();
    }

    /// <summary>Four halves (widened to 32-bit lanes) to four floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> halves)
    {
        var magnitude = halves & Vector128.Create(HalfMagnitudeMask);
        var sign = (halves & Vector128.Create(0x8000u)) << 16;
        var scaled = (magnitude << 13).AsSingle() * Vector128.Create(ExponentRebias);
        var special = Vector128.GreaterThanOrEqual(magnitude, Vector128.Create(HalfExponentMask));
        var infNan = Vector128.Create(0x7F800000u) | ((magnitude & Vector128.Create(0x3FFu)) << 13);
        return (Vector128.ConditionalSelect(special, infNan, scaled.AsUInt32()) | sign).AsSingle();
    }

    /// <summary>Sixteen halves (widened to 32-bit lanes) to sixteen floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> halves)
    {
        var magnitude = halves & Vector512.Create(HalfMagnitudeMask);
        var sign = (halves & Vector512.Create(0x8000u)) << 16;
        var scaled = (magnitude << 13).AsSingle() * Vector512.Create(ExponentRebias);
        var special = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(HalfExponentMask));
        var infNan = Vector512.Create(0x7F800000u) | ((magnitude & Vector512.Create(0x3FFu)) << 13);
        return (Vector512.ConditionalSelect(special, infNan, scaled.AsUInt32()) | sign).AsSingle();
    }

    /// <summary>Converts <paramref name="count"/> halves to floats, sixteen or eight at a time where the CPU allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ToSingle(ushort* source, float* destination, int count)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            for (; i + 16 <= count; i += 16)
                ToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512UInt32(Vector256.Load(source + i))).Store(destination + i);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                var halves = Vector128.Load(source + i);
                ToSingle(Vector128.WidenLower(halves).AsUInt32()).Store(destination + i);
                ToSingle(Vector128.WidenUpper(halves).AsUInt32()).Store(destination + i + 4);
            }
        }
        for (; i < count; i++)
            destination[i] = ToSingle(source[i]);
    }
}
