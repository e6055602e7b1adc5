using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.BF16;

/// <summary>
/// Tokens for <see cref="BF16RowPairTile"/>: for each slice of 32 values of k, the 32 values of each of a group's
/// tokens (8, 4 or 2) rounded to BF16, one token after another, so that one pointer walks all of them. A last, partial
/// slice holds the rest of k, zero-padded: the tile runs whole slices only and its callers add that part themselves. Rounding is to nearest, ties to even, NaN kept a NaN
/// (<see cref="BF16PairPanel.Round"/>).
/// </summary>
internal static unsafe class BF16TokenSlices
{
    private const int SliceValues = BF16RowPairTile.SliceValues;

    /// <summary>Slices of k, the partial last one included.</summary>
    public static int Slices(int k) => (k + SliceValues - 1) / SliceValues;

    /// <summary>BF16 values a group of <paramref name="width"/> tokens takes.</summary>
    public static long Values(int k, int width) => (long)Slices(k) * width * SliceValues;

    /// <summary>Writes the <paramref name="k"/> floats at <paramref name="x"/> as token <paramref name="position"/> of a
    /// group of <paramref name="width"/> tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* x, int k, int width, int position, ushort* group)
    {
        int whole = k / SliceValues;
        ushort* target = group + position * SliceValues;
        nint sliceStride = width * SliceValues;
        for (int s = 0; s < whole; s++, target += sliceStride, x += SliceValues)
        {
            BF16PairPanel.Round(Vector512.Load(x)).Store((uint*)target);
            BF16PairPanel.Round(Vector512.Load(x + 16)).Store((uint*)(target + 16));
        }
        int rest = k - whole * SliceValues;
        if (rest > 0)
        {
            for (int i = 0; i < SliceValues; i++)
                target[i] = i < rest ? Tensors.Quants.BF16.FromSingle(x[i]) : (ushort)0;
        }
    }
}
