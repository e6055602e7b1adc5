using System.Runtime.CompilerServices;

namespace Tessera.Kernels.Quants;

/// <summary>
/// The order in which vpunpcklwd / vpunpckhwd leave 16-bit weights widened to 32-bit lanes: per 128-bit lane, values
/// 0-3 from the low unpack and 4-7 from the high one. The split dots (<see cref="F16.F16SplitDot"/>,
/// <see cref="BF16.BF16SplitDot"/>) widen 16 or 32 weights that way and store their activations in the same order
/// once per token, so no weight needs a cross-lane shuffle. Per block of 32 activations: with 512-bit registers
/// values 0-3, 8-11, 16-19, 24-27 then 4-7, 12-15, 20-23, 28-31; with 256-bit ones each 16 as 0-3, 8-11 then 4-7, 12-15.
/// </summary>
internal static unsafe class UnpackOrder
{
    public const int BlockSize = 32;

    /// <summary>y = x (k a multiple of <see cref="BlockSize"/>) times <paramref name="scale"/>, rearranged per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Arrange(float* x, int k, float* y, float scale, bool wide)
    {
        for (int b = 0; b < k; b += BlockSize, x += BlockSize, y += BlockSize)
        {
            for (int i = 0; i < BlockSize; i++)
                y[i] = x[SourceIndex(i, wide)] * scale;
        }
    }

    /// <summary>Which value of a block lands at position <paramref name="i"/>: position = quarter of 8 (q) and place
    /// in it (j); each 8-float register holds four values from each of two 128-bit lanes of weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SourceIndex(int i, bool wide)
    {
        int q = i / 8, j = i % 8;
        int lane = j / 4, offset = j % 4;
        if (wide)
        {
            // zmm 0 (q = 0, 1) takes the low four of each 128-bit lane of weights, zmm 1 (q = 2, 3) the high four.
            int half = q / 2;
            int halfLane = 2 * (q % 2) + lane;
            return 8 * halfLane + 4 * half + offset;
        }
        // Each 16: ymm 0 (q even) the low four of both lanes, ymm 1 (q odd) the high four.
        return 16 * (q / 2) + 8 * lane + 4 * (q % 2) + offset;
    }
}
