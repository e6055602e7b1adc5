using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>8-bit levels as two 4-bit planes for the int16 panel kernel: level = 16 hi + lo, both -8..7.</summary>
internal static class PanelPlanes
{
    /// <summary>
    /// levels[0] = hi = (level + 8) >> 4 (arithmetic), levels[1] = lo = ((level + 8) &amp; 15) - 8, for levels in
    /// -128..119. Both planes are then within ±8, the bound under which the kernel adds all eight vpmaddubsw results
    /// of a record in int16 (a lo plane of 0..15 would allow only pairs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Split(Vector256<sbyte> level, Vector256<sbyte>* planes)
    {
        var biased = (level + Vector256.Create((sbyte)8)).AsByte();
        var nibble = Vector256.Create((byte)0x0F);
        var eight = Vector256.Create((sbyte)8);
        // No byte shift exists: shift the 16-bit lanes and keep each byte's own four bits, then sign-extend them.
        var high = Vector256.ShiftRightLogical(biased.AsUInt16(), 4).AsByte() & nibble;
        planes[0] = (high ^ Vector256.Create((byte)0x08)).AsSByte() - eight;
        planes[1] = (biased & nibble).AsSByte() - eight;
    }
}
