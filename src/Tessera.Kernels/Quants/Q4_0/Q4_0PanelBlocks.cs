using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q4_0;

/// <summary>Q4_0 for the panel matmul: value = d * (level - 8), levels 0..15.</summary>
internal readonly unsafe struct Q4_0PanelBlocks : INibblePanelBlocks
{
    public static int BlockBytes => Q4_0Dot.BlockBytes;

    public static int SubBlocks => 1;

    public static int MaxLevel => 8;

    public static bool HalfScales => false;

    public static bool HasOffsets => false;

    public static int NibbleOffset => 2;

    public static bool LeadingHalfScale => true;

    public static Vector256<sbyte> LevelTable => Vector256.Create((sbyte)-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7,
        -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scales(byte* block, float* halves, float* scales, float* offsets) => scales[0] = halves[*(ushort*)block];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        levels[0] = BlockBits.Nibbles(block + 2).AsSByte() - Vector256.Create((sbyte)8);
        Scales(block, halves, scales, offsets);
    }
}
