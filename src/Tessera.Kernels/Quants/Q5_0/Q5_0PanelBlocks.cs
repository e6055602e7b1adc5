using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q5_0;

/// <summary>Q5_0 for the panel matmul: value = d * (level - 16), levels 0..31.</summary>
internal readonly unsafe struct Q5_0PanelBlocks : IPanelBlocks
{
    public static int BlockBytes => Q5_0Dot.BlockBytes;

    public static int SubBlocks => 1;

    public static int MaxLevel => 16;

    public static bool HalfScales => false;

    public static bool HasOffsets => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        levels[0] = Q5_0Blocks.Decode(block);
        scales[0] = halves[*(ushort*)block];
    }
}
