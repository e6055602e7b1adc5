using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q2_K;

/// <summary>
/// Q2_K for the panel matmul: levels 0..3, each 16-value half of a 32-value sub-block with its own scale
/// d * (scales[g] &amp; 15) and its own offset -dmin * (scales[g] &gt;&gt; 4). Sub-block s = 4n + j takes bits
/// 2j..2j+1 of qs[32 n + l] (see <see cref="Q2_KDot"/>).
/// </summary>
internal readonly unsafe struct Q2_KPanelBlocks : IPanelBlocks
{
    public static int BlockBytes => Q2_KDot.BlockBytes;

    public static int SubBlocks => 8;

    /// <summary>|level| is at most 3, but only the kernel's 5- and 6-bit forms apply each half's scale.</summary>
    public static int MaxLevel => 16;

    public static bool HalfScales => true;

    public static bool HasOffsets => true;

    public static bool HalfOffsets => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        var three = Vector256.Create((byte)0x03);
        for (int s = 0; s < 8; s++)
        {
            var packed = Vector256.Load(block + Q2_KDot.QuantsOffset + 32 * (s / 4));
            levels[s] = (Vector256.ShiftRightLogical(packed.AsUInt16(), 2 * (s % 4)).AsByte() & three).AsSByte();
        }
        float d = halves[*(ushort*)(block + Q2_KDot.ScaleOffset)];
        float dmin = halves[*(ushort*)(block + Q2_KDot.ScaleOffset + 2)];
        for (int g = 0; g < 16; g++)
        {
            scales[g] = d * (block[g] & 0x0F);
            offsets[g] = -dmin * (block[g] >> 4);
        }
    }
}
