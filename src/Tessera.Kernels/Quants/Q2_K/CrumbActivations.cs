using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q2_K;

/// <summary>
/// Q8_K activations rearranged for the 512-bit Q2_K and Q3_K dots (<see cref="Q2_KPackedDot"/>,
/// <see cref="Q3_K.Q3_KPackedDot"/>). Both types keep a block's 2-bit levels ("crumbs") in 64 bytes where value
/// 128n + 32j + l sits at bits 2j..2j+1 of byte 32n + l, so one 64-byte load shifted by 2j holds values 32j.. and
/// 128 + 32j.. side by side; row j of this layout holds the same values' quants. Per 256-value block, 384 bytes:
/// <code>
///   [64 j .. 64 j + 63]  x of values 32j .. 32j + 31, then 128 + 32j .. 128 + 32j + 31   (j = 0..3)
///   [256 .. 319]         float[16]: d * (sum of group g's quants), the 16-value groups the scales and mins cover
///   [320 .. 323]         float d                                  [324 .. 383] zero
/// </code>
/// </summary>
internal static unsafe class CrumbActivations
{
    public const int BlockSize = Q8_KActivations.BlockSize;
    public const int BlockBytes = 384;
    public const int SumsOffset = 256;
    public const int ScaleOffset = 320;

    /// <summary>x[k] (k a multiple of 256) to k / 256 blocks at <paramref name="destination"/>.</summary>
    public static void Quantize(float* x, int k, byte* destination) =>
        Q8_KActivations.QuantizeRearranged(x, k, destination, BlockBytes, &Rearrange);

    /// <summary>One Q8_K block to the layout above.</summary>
    public static void Rearrange(byte* q8Block, byte* destination)
    {
        sbyte* q = Q8_KBlock.Quants(q8Block);
        short* sums = Q8_KBlock.Sums(q8Block);
        float d = Q8_KBlock.Scale(q8Block);
        new Span<byte>(destination, BlockBytes).Clear();
        for (int j = 0; j < 4; j++)
        {
            Vector256.Load(q + 32 * j).Store((sbyte*)(destination + 64 * j));
            Vector256.Load(q + 128 + 32 * j).Store((sbyte*)(destination + 64 * j + 32));
        }
        float* groupSums = (float*)(destination + SumsOffset);
        for (int g = 0; g < 16; g++)
            groupSums[g] = d * sums[g];
        *(float*)(destination + ScaleOffset) = d;
    }
}
