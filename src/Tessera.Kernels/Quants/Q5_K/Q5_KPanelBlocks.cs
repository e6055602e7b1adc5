using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q5_K;

/// <summary>
/// Q5_K for the panel matmul: as Q4_K with a fifth level bit (bit j of qh[l] for value l of sub-block j), so
/// d * scale_j * level - dmin * min_j becomes (d * scale_j) * (level - 16) + (16 * d * scale_j - dmin * min_j).
/// </summary>
internal readonly unsafe struct Q5_KPanelBlocks : IPanelBlocks
{
    public static int BlockBytes => Q5_KDot.BlockBytes;

    public static int SubBlocks => KQuantScales.SubBlocks;

    public static int MaxLevel => 16;

    public static bool HalfScales => false;

    public static bool HasOffsets => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        var mask = Vector256.Create((byte)0x0F);
        var fifth = Vector256.Create((byte)0x10);
        var centre = Vector256.Create((sbyte)16);
        var high = Vector256.Load(block + Q5_KDot.HighBitsOffset);
        for (int j = 0; j < KQuantScales.SubBlocks; j++)
        {
            var bytes = Vector256.Load(block + Q5_KDot.QuantsOffset + 32 * (j / 2));
            var nibbles = j % 2 == 0 ? bytes & mask : Vector256.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & mask;
            var bit = Vector256.Create((byte)(1 << j));
            levels[j] = (nibbles | (Vector256.Equals(high & bit, bit) & fifth)).AsSByte() - centre;
        }
        KQuantScales.CentredScales(block, 16, halves, scales, offsets);
    }
}
