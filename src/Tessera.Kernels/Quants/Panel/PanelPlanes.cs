using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>8-bit levels as two 4-bit planes for the int16 panel kernel: level = 16 hi + lo.</summary>
internal static class PanelPlanes
{
    /// <summary>levels[0] = level >> 4 (arithmetic: -8..7), levels[1] = level &amp; 15 (0..15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Split(Vector256<sbyte> level, Vector256<sbyte>* planes)
    {
        // No byte shift exists: shift the 16-bit lanes and keep each byte's own four bits, then sign-extend them.
        var high = Vector256.ShiftRightLogical(level.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);
        planes[0] = (high ^ Vector256.Create((byte)0x08)).AsSByte() - Vector256.Create((sbyte)8);
        planes[1] = (level.AsByte() & Vector256.Create((byte)0x0F)).AsSByte();
    }
}
