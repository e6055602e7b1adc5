using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q6_K;

/// <summary>
/// Q6_K for the panel matmul: levels 0..63 centred to -32..31, each 16-value half of a 32-value sub-block with its own
/// scale d * scale_g. Sub-block 4h + g of a block takes, for l in 0..31, the low (g &lt; 2) or high nibble of
/// ql[64 h + 32 (g &amp; 1) + l] and bits 2g..2g+1 of qh[32 h + l] (see <see cref="Q6_KDot"/>).
/// </summary>
internal readonly unsafe struct Q6_KPanelBlocks : IPanelBlocks
{
    public static int BlockBytes => Q6_KDot.BlockBytes;

    public static int SubBlocks => 8;

    public static int MaxLevel => 32;

    public static bool HalfScales => true;

    public static bool HasOffsets => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        var nibble = Vector256.Create((byte)0x0F);
        var two = Vector256.Create((byte)0x03);
        var centre = Vector256.Create((sbyte)32);
        for (int h = 0; h < 2; h++)
        {
            var low0 = Vector256.Load(block + 64 * h);
            var low1 = Vector256.Load(block + 64 * h + 32);
            var high = Vector256.Load(block + Q6_KDot.HighBitsOffset + 32 * h);
            var high1 = Vector256.ShiftRightLogical(high.AsUInt16(), 2).AsByte();
            var high2 = Vector256.ShiftRightLogical(high.AsUInt16(), 4).AsByte();
            var high3 = Vector256.ShiftRightLogical(high.AsUInt16(), 6).AsByte();
            var upper0 = Vector256.ShiftRightLogical(low0.AsUInt16(), 4).AsByte() & nibble;
            var upper1 = Vector256.ShiftRightLogical(low1.AsUInt16(), 4).AsByte() & nibble;
            levels[4 * h] = ((low0 & nibble) | Vector256.ShiftLeft((high & two).AsUInt16(), 4).AsByte()).AsSByte() - centre;
            levels[4 * h + 1] = ((low1 & nibble) | Vector256.ShiftLeft((high1 & two).AsUInt16(), 4).AsByte()).AsSByte() - centre;
            levels[4 * h + 2] = (upper0 | Vector256.ShiftLeft((high2 & two).AsUInt16(), 4).AsByte()).AsSByte() - centre;
            levels[4 * h + 3] = (upper1 | Vector256.ShiftLeft((high3 & two).AsUInt16(), 4).AsByte()).AsSByte() - centre;
        }
        float d = halves[*(ushort*)(block + Q6_KDot.ScaleOffset)];
        sbyte* groupScales = (sbyte*)(block + Q6_KDot.ScalesOffset);
        for (int g = 0; g < 16; g++)
            scales[g] = d * groupScales[g];
    }
}
