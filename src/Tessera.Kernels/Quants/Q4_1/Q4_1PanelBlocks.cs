using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q4_1;

/// <summary>Q4_1 for the panel matmul: d * level + m (levels 0..15) as d * (level - 8) + (m + 8 d).</summary>
internal readonly unsafe struct Q4_1PanelBlocks : INibblePanelBlocks
{
    public static int BlockBytes => Q4_1Dot.BlockBytes;

    public static int SubBlocks => 1;

    public static int MaxLevel => 8;

    public static bool HalfScales => false;

    public static bool HasOffsets => true;

    public static int NibbleOffset => 4;

    public static Vector256<sbyte> LevelTable => Q4_0.Q4_0PanelBlocks.LevelTable;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scales(byte* block, float* halves, float* scales, float* offsets)
    {
        float d = halves[*(ushort*)block];
        scales[0] = d;
        offsets[0] = halves[*(ushort*)(block + 2)] + 8 * d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        levels[0] = BlockBits.Nibbles(block + 4).AsSByte() - Vector256.Create((sbyte)8);
        Scales(block, halves, scales, offsets);
    }
}
