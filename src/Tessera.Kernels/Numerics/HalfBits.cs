using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Numerics;

/// <summary>
/// IEEE half (F16) and bfloat16 to float conversions done with integer arithmetic.
/// <c>(float)someHalf</c> is a software routine in .NET and F16C is not exposed (bulk conversions of 64 or more take
/// <see cref="F16cConversion"/>'s machine code where the CPU has F16C), so the kernels use this instead:
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

    /// <summary>bfloat16 is the top half of a float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToSingle(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Sign and magnitude in float position: the half shifted to the top of its lane, then arithmetically
    /// back by 3, copies the sign into bits 28..30, which the mask clears.</summary>
    private const uint SignAndMagnitudeMask = 0x8FFFE000;

    /// <summary>A half shifted left by 17 (sign dropped) is at least this when its exponent is 31 (Inf or NaN).</summary>
    private const uint SpecialExponentShifted = 0xF8000000;

    private const uint FloatExponentMask = 0x7F800000;

    // The vector forms: shift, shift, mask and one multiply give every finite half, one compare and select fix up
    // Inf/NaN (eight operations where widening sign and magnitude separately took twelve).

    /// <summary>Eight halves (widened to 32-bit lanes) to eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<uint> halves)
    {
        var bits = ((halves << 16).AsInt32() >> 3).AsUInt32() & Vector256.Create(SignAndMagnitudeMask);
        var scaled = bits.AsSingle() * Vector256.Create(ExponentRebias);
        var special = Vector256.GreaterThanOrEqual(halves << 17, Vector256.Create(SpecialExponentShifted));
        return Vector256.ConditionalSelect(special.AsSingle(), (bits | Vector256.Create(FloatExponentMask)).AsSingle(), scaled);
    }

    /// <summary>Four halves (widened to 32-bit lanes) to four floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<uint> halves)
    {
        var bits = ((halves << 16).AsInt32() >> 3).AsUInt32() & Vector128.Create(SignAndMagnitudeMask);
        var scaled = bits.AsSingle() * Vector128.Create(ExponentRebias);
        var special = Vector128.GreaterThanOrEqual(halves << 17, Vector128.Create(SpecialExponentShifted));
        return Vector128.ConditionalSelect(special.AsSingle(), (bits | Vector128.Create(FloatExponentMask)).AsSingle(), scaled);
    }

    /// <summary>Sixteen halves (widened to 32-bit lanes) to sixteen floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<uint> halves)
    {
        var bits = ((halves << 16).AsInt32() >> 3).AsUInt32() & Vector512.Create(SignAndMagnitudeMask);
        var scaled = bits.AsSingle() * Vector512.Create(ExponentRebias);
        var special = Vector512.GreaterThanOrEqual(halves << 17, Vector512.Create(SpecialExponentShifted));
        return Vector512.ConditionalSelect(special.AsSingle(), (bits | Vector512.Create(FloatExponentMask)).AsSingle(), scaled);
    }

    /// <summary>
    /// Halves held in the high 16 bits of 32-bit lanes to floats of value d x 2^-112: an arithmetic shift by 3 and a
    /// mask, without the rebias multiply, for kernels whose other factor carries the 2^112 (the packed dots' block
    /// scales). Exact for finite halves, subnormal ones included (they become float denormals); Inf and NaN are not
    /// reproduced.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HighWordsUnrebiased(Vector512<int> lanes) =>
        (Vector512.ShiftRightArithmetic(lanes, 3) & Vector512.Create(unchecked((int)SignAndMagnitudeMask))).AsSingle();

    /// <summary>Eight halves, sign-extended to 32-bit lanes, to floats of value d x 2^-112 (a shift and a mask: the
    /// AVX2 octet dots' block scales, whose activation factor carries the 2^112). Exact for finite halves, subnormal ones
    /// included; Inf and NaN are not reproduced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Unrebiased(Vector256<int> signExtended) =>
        ((signExtended << 13) & Vector256.Create(unchecked((int)SignAndMagnitudeMask))).AsSingle();

    // The fast forms for halves known to be finite, the common case the dot products check a block at a time: the
    // halves sign-extended to 32 bits and shifted left by 13 hold the sign in bit 31 and the magnitude in float
    // position, so one mask and the rebias multiply finish the job (three operations after the widening load).

    /// <summary>Sixteen finite halves, sign-extended to 32-bit lanes, to sixteen floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FiniteToSingle(Vector512<int> signExtended) =>
        ((signExtended << 13).AsUInt32() & Vector512.Create(SignAndMagnitudeMask)).AsSingle() * Vector512.Create(ExponentRebias);

    /// <summary>Eight finite halves, sign-extended to 32-bit lanes, to eight floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FiniteToSingle(Vector256<int> signExtended) =>
        ((signExtended << 13).AsUInt32() & Vector256.Create(SignAndMagnitudeMask)).AsSingle() * Vector256.Create(ExponentRebias);

    /// <summary>Whether any of the halves is Inf or NaN (exponent 31), which the finite forms would get wrong.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyInfOrNaN(Vector512<ushort> halves) =>
        Vector512.EqualsAny(halves & Vector512.Create((ushort)HalfExponentMask), Vector512.Create((ushort)HalfExponentMask));

    /// <inheritdoc cref="AnyInfOrNaN(Vector512{ushort})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyInfOrNaN(Vector256<ushort> halves) =>
        Vector256.EqualsAny(halves & Vector256.Create((ushort)HalfExponentMask), Vector256.Create((ushort)HalfExponentMask));

    /// <summary>The same for 32 halves in two registers with one compare (the exponents' maximum): the check costs as
    /// much as a conversion, so the AVX2 dots share it across two loads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyInfOrNaN(Vector256<ushort> first, Vector256<ushort> second)
    {
        var exponent = Vector256.Create((ushort)HalfExponentMask);
        return Vector256.EqualsAny(Vector256.Max(first & exponent, second & exponent), exponent);
    }

    /// <summary>Fewest halves worth the native call of <see cref="F16cConversion"/> (a few nanoseconds), below which the
    /// vector forms here are as quick.</summary>
    private const int F16cMinimum = 64;

    /// <summary>Converts <paramref name="count"/> halves to floats: with F16C from <see cref="F16cMinimum"/> halves on,
    /// the rest (and everything where F16C does not run) by <see cref="ToSingleVectors"/>.</summary>
    public static unsafe void ToSingle(ushort* source, float* destination, int count)
    {
        int converted = 0;
        if (count >= F16cMinimum && F16cConversion.IsSupported)
        {
            converted = count / F16cConversion.Block * F16cConversion.Block;
            F16cConversion.Convert(source, destination, count / F16cConversion.Block);
        }
        ToSingleVectors(source + converted, destination + converted, count - converted);
    }

    /// <summary>The same without F16C: sixteen or eight at a time where the CPU allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void ToSingleVectors(ushort* source, float* destination, int count)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            // 32 halves per step with one Inf/NaN check, then the finite form (the float matmul converts every weight
            // of a prompt's pass this way, at the memory rate only if the arithmetic stays this short).
            for (; i + 32 <= count; i += 32)
            {
                if (AnyInfOrNaN(Vector512.Load(source + i)))
                {
                    ToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512UInt32(Vector256.Load(source + i))).Store(destination + i);
                    ToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512UInt32(Vector256.Load(source + i + 16))).Store(destination + i + 16);
                    continue;
                }
                FiniteToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector256.Load((short*)source + i))).Store(destination + i);
                FiniteToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512Int32(Vector256.Load((short*)source + i + 16))).Store(destination + i + 16);
            }
            for (; i + 16 <= count; i += 16)
                ToSingle(System.Runtime.Intrinsics.X86.Avx512F.ConvertToVector512UInt32(Vector256.Load(source + i))).Store(destination + i);
        }
        // Also the AVX-512 machines' tail of 8..15: a KV row of an 8-wide head (stories260K) is only that tail, and
        // converted half by half it was 9.5% of that model's decode.
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            for (; i + 16 <= count; i += 16)
            {
                if (AnyInfOrNaN(Vector256.Load(source + i)))
                {
                    ToSingle(System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32(source + i).AsUInt32()).Store(destination + i);
                    ToSingle(System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32(source + i + 8).AsUInt32()).Store(destination + i + 8);
                    continue;
                }
                FiniteToSingle(System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32((short*)source + i)).Store(destination + i);
                FiniteToSingle(System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32((short*)source + i + 8)).Store(destination + i + 8);
            }
            for (; i + 8 <= count; i += 8)
                ToSingle(System.Runtime.Intrinsics.X86.Avx2.ConvertToVector256Int32(source + i).AsUInt32()).Store(destination + i);
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

    /// <summary>Converts <paramref name="count"/> bfloat16 values to floats (each the top half of its float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void BFloat16ToSingle(ushort* source, float* destination, int count)
    {
        int i = 0;
        // 32 values a step where 256-bit vectors run: the 128-bit loop ran at half the rate and was 30% of a BF16
        // batch of 8 tokens on AVX2, which converts each task's rows before its float panels.
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= count; i += 32)
            {
                var low = Vector256.Load(source + i);
                var high = Vector256.Load(source + i + 16);
                (Vector256.WidenLower(low).AsUInt32() << 16).AsSingle().Store(destination + i);
                (Vector256.WidenUpper(low).AsUInt32() << 16).AsSingle().Store(destination + i + 8);
                (Vector256.WidenLower(high).AsUInt32() << 16).AsSingle().Store(destination + i + 16);
                (Vector256.WidenUpper(high).AsUInt32() << 16).AsSingle().Store(destination + i + 24);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= count; i += 8)
            {
                var values = Vector128.Load(source + i);
                (Vector128.WidenLower(values).AsUInt32() << 16).AsSingle().Store(destination + i);
                (Vector128.WidenUpper(values).AsUInt32() << 16).AsSingle().Store(destination + i + 4);
            }
        }
        for (; i < count; i++)
            destination[i] = BFloat16ToSingle(source[i]);
    }
}
