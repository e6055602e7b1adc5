using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants;

/// <summary>
/// Signed int8 dot-product building blocks. x86 only multiplies unsigned by signed bytes (vpmaddubsw), so a signed
/// weight w times activation a is computed as |w| * (a with w's sign); products of two values in -127..127 summed in
/// pairs stay below 32767, so the int16 stage never saturates.
/// </summary>
internal static unsafe class SimdInt8
{
    /// <summary>Eight int32 lanes, each the sum of four adjacent products w[i]*a[i]. With AVX-VNNI one vpdpbusd sums
    /// the four products straight into int32 where vpmaddubsw and vpmaddwd took two steps (the same sums: the pairs
    /// never saturate).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplySum(Vector256<sbyte> w, Vector256<sbyte> a)
    {
        var magnitudes = Avx2.Sign(w, w).AsByte();
        var signed = Avx2.Sign(a, w);
        if (AvxVnni.IsSupported)
            return AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, magnitudes, signed);
        return Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitudes, signed), Vector256.Create((short)1));
    }

    /// <summary>Unsigned (0..127) times signed: eight int32 lanes of four-product sums (one vpdpbusd with AVX-VNNI).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplySumUnsigned(Vector256<byte> w, Vector256<sbyte> a) =>
        AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, w, a)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(w, a), Vector256.Create((short)1));

    /// <summary>
    /// Unsigned levels (0..63) times 32 activations, the first 16 products scaled by int16 lanes 0..7 of
    /// <paramref name="scales"/> and the next 16 by lanes 8..15 (the K-quants' 16-value groups; the dots spread each
    /// chunk's scales with one byte shuffle, <see cref="KQuantScales.PickWord"/>): eight int32 lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplySumScaled(Vector256<byte> levels, sbyte* a, Vector256<short> scales) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(levels, Vector256.Load(a)), scales);

    /// <summary>Portable: sum of the sixteen products w[i]*a[i] (int8 values, so the int16 products cannot overflow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> MultiplySum(Vector128<sbyte> w, Vector128<sbyte> a)
    {
        var low = Vector128.WidenLower(w) * Vector128.WidenLower(a);
        var high = Vector128.WidenUpper(w) * Vector128.WidenUpper(a);
        return Vector128.WidenLower(low) + Vector128.WidenUpper(low) + Vector128.WidenLower(high) + Vector128.WidenUpper(high);
    }
}
