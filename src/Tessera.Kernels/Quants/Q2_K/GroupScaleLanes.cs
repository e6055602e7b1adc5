using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants.Q2_K;

/// <summary>
/// The group scales of a 2-bit K-quant block (Q2_K, Q3_K) spread to the int16 lanes of one activation row of
/// <see cref="CrumbActivations"/>: row j's products cover groups 2j and 2j + 1 (values 32j..32j+31), then 8 + 2j and
/// 9 + 2j (values 128 + 32j..), eight int16 lanes each. <see cref="Spread"/> and <see cref="Scaled"/> also serve
/// <see cref="Q6_K.Q6_KPackedDot"/>, whose 64-value chunks cover four consecutive groups (its own indices).
/// </summary>
internal static unsafe class GroupScaleLanes
{
    /// <summary>The vpermw indices of rows 0..3, made once before a loop (from constants: built from an array, they
    /// cost an allocation per dot).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<short>, Vector512<short>, Vector512<short>, Vector512<short>) Indices()
    {
        // Lanes 0..7: group 2j, 8..15: 2j + 1, 16..23: 8 + 2j, 24..31: 9 + 2j, for row j = 0; the others add 2j.
        var first = Vector512.Create((short)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9);
        var two = Vector512.Create((short)2);
        return (first, first + two, first + two + two, first + two + two + two);
    }

    /// <summary>int16 lanes of one row from the 16 scale words in lanes 0..15 of <paramref name="scales"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Spread(Vector512<short> scales, Vector512<short> index) => Avx512BW.PermuteVar32x16(scales, index);

    /// <summary>Σ scale_g (levels · x) over one activation row, in 16 int32 lanes (levels 0..63 keep vpmaddubsw's pairs
    /// within int16: 2 * 63 * 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Scaled(Vector512<byte> levels, Vector512<short> scales, byte* x) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(levels, Vector512.Load((sbyte*)x)), scales);
}
