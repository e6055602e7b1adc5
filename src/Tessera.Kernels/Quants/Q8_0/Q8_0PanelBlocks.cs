using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q8_0;

/// <summary>Q8_0 for the panel matmul: value = d * q, q -127..127 (8-bit levels: the VNNI kernel).</summary>
internal readonly unsafe struct Q8_0PanelBlocks : IPanelBlocks
{
    public static int BlockBytes => Q8_0Activations.BlockBytes;

    public static int SubBlocks => 1;

    public static int MaxLevel => 128;

    public static bool HalfScales => false;

    public static bool HasOffsets => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        levels[0] = Vector256.Load((sbyte*)(block + 2));
        scales[0] = halves[*(ushort*)block];
    }
}
