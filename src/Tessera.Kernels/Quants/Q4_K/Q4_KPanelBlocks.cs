using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q4_K;

/// <summary>
/// Q4_K for the panel matmul. Sub-block j's value d * scale_j * level - dmin * min_j (level 0..15) is rewritten with
/// a centred level: (d * scale_j) * (level - 8) + (8 * d * scale_j - dmin * min_j).
/// </summary>
internal readonly unsafe struct Q4_KPanelBlocks : INibblePanelBlocks
{
    public static int BlockBytes => Q4_KDot.BlockBytes;

    public static int SubBlocks => KQuantScales.SubBlocks;

    public static int MaxLevel => 8;

    public static bool HalfScales => false;

    public static bool HasOffsets => true;

    public static int NibbleOffset => Q4_KDot.QuantsOffset;

    public static Vector256<sbyte> LevelTable => Q4_0.Q4_0PanelBlocks.LevelTable;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scales(byte* block, float* halves, float* scales, float* offsets) =>
        KQuantScales.CentredScales(block, 8, halves, scales, offsets);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        var mask = Vector256.Create((byte)0x0F);
        var eight = Vector256.Create((sbyte)8);
        for (int pair = 0; pair < KQuantScales.SubBlocks / 2; pair++)
        {
            // 32 bytes hold two sub-blocks: the first in the low nibbles, the next in the high ones.
            var bytes = Vector256.Load(block + Q4_KDot.QuantsOffset + 32 * pair);
            levels[2 * pair] = (bytes & mask).AsSByte() - eight;
            levels[2 * pair + 1] = (Vector256.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & mask).AsSByte() - eight;
        }
        Scales(block, halves, scales, offsets);
    }
}
