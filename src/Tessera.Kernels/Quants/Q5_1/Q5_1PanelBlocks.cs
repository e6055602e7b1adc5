using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q5_1;

/// <summary>Q5_1 for the panel matmul: d * level + m (levels 0..31) as d * (level - 16) + (m + 16 d).</summary>
internal readonly unsafe struct Q5_1PanelBlocks : IPanelBlocks
{
    public static int BlockBytes => Q5_1Dot.BlockBytes;

    public static int SubBlocks => 1;

    public static int MaxLevel => 16;

    public static bool HalfScales => false;

    public static bool HasOffsets => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        float d = halves[*(ushort*)block];
        var level = BlockBits.Nibbles(block + 8) | BlockBits.FifthBits(*(uint*)(block + 4));
        levels[0] = level.AsSByte() - Vector256.Create((sbyte)16);
        scales[0] = d;
        offsets[0] = halves[*(ushort*)(block + 2)] + 16 * d;
    }
}
