using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q3_K;

/// <summary>
/// Q3_K for the panel matmul: levels -4..3, each 16-value half of a 32-value sub-block with its own scale
/// d * (code - 32). Value l of sub-block s = 4n + j takes bits 2j..2j+1 of qs[32 n + l] and, from bit s of hmask[l],
/// 0 when set or -4 when clear (see <see cref="Q3_KDot"/>).
/// </summary>
internal readonly unsafe struct Q3_KPanelBlocks : IPanelBlocks
{
    public static int BlockBytes => Q3_KDot.BlockBytes;

    public static int SubBlocks => 8;

    /// <summary>|level| is at most 4, but the kernel's 4-bit form takes one scale per sub-block; the 5-bit form
    /// (two products per int16 sum) is the one that applies each half's scale.</summary>
    public static int MaxLevel => 16;

    public static bool HalfScales => true;

    public static bool HasOffsets => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        var three = Vector256.Create((byte)0x03);
        var four = Vector256.Create((byte)4);
        var hmask = Vector256.Load(block);
        for (int s = 0; s < 8; s++)
        {
            var packed = Vector256.Load(block + Q3_KDot.QuantsOffset + 32 * (s / 4));
            var low = Vector256.ShiftRightLogical(packed.AsUInt16(), 2 * (s % 4)).AsByte() & three;
            var bit = Vector256.Create((byte)(1 << s));
            var cleared = ~Vector256.Equals(hmask & bit, bit);
            levels[s] = low.AsSByte() - (cleared & four).AsSByte();
        }
        float d = halves[*(ushort*)(block + Q3_KDot.ScaleOffset)];
        var codes = Q3_KDot.DecodeScalesPacked(block + Q3_KDot.ScalesOffset);
        for (int g = 0; g < 16; g++)
            scales[g] = d * codes.GetElement(g);
    }
}
