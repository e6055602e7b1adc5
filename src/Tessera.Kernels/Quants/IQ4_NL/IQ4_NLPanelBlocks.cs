using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.IQ4_NL;

/// <summary>IQ4_NL for the panel matmul: value = d * Table[nibble], levels -127..113 (8-bit: the VNNI kernel).</summary>
internal readonly unsafe struct IQ4_NLPanelBlocks : INibblePanelBlocks
{
    public static int BlockBytes => IQ4_NLDot.BlockBytes;

    public static int SubBlocks => 1;

    public static int MaxLevel => 128;

    public static bool HalfScales => false;

    public static bool HasOffsets => false;

    public static int NibbleOffset => 2;

    public static bool LeadingHalfScale => true;

    public static Vector256<sbyte> LevelTable => Vector256.Create(Vector128.Create(IQ4_NLDot.Table));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Scales(byte* block, float* halves, float* scales, float* offsets) => scales[0] = halves[*(ushort*)block];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        levels[0] = IQ4_NLBlocks.Decode(block);
        Scales(block, halves, scales, offsets);
    }
}
