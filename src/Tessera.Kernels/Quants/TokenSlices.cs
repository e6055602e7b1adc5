using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.BF16;
using Tessera.Tensors;

namespace Tessera.Kernels.Quants;

/// <summary>
/// Tokens for <see cref="RowPairTile"/>: for each slice of k, each of a group's tokens (8, 4 or 2) as 64 bytes, one
/// token after another, so that one pointer walks all of them: for BF16 weights 32 values rounded to BF16 (to
/// nearest, ties to even, NaN kept a NaN: <see cref="BF16PairPanel.Round"/>), for F16 weights 16 floats as they are. A
/// last, partial slice holds the rest of k, zero-padded: the tile runs whole slices only and its callers add that
/// part themselves.
/// </summary>
internal static unsafe class TokenSlices
{
    private const int SliceBytes = RowPairTile.TokenSliceBytes;

    /// <summary>Slices of k, the partial last one included.</summary>
    public static int Slices(GgmlType weightType, int k) => (k + RowPairTile.SliceValues(weightType) - 1) / RowPairTile.SliceValues(weightType);

    /// <summary>Bytes a group of <paramref name="width"/> tokens takes.</summary>
    public static long Bytes(GgmlType weightType, int k, int width) => (long)Slices(weightType, k) * width * SliceBytes;

    /// <summary>Value <paramref name="i"/> of a token's slice as the tile reads it.</summary>
    public static float Value(GgmlType weightType, byte* slice, int i) =>
        weightType == GgmlType.BF16 ? Tensors.Quants.BF16.ToSingle(((ushort*)slice)[i]) : ((float*)slice)[i];

    /// <summary>Writes the <paramref name="k"/> floats at <paramref name="x"/> as token <paramref name="position"/> of a
    /// group of <paramref name="width"/> tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(GgmlType weightType, float* x, int k, int width, int position, byte* group)
    {
        bool bf16 = weightType == GgmlType.BF16;
        int values = RowPairTile.SliceValues(weightType);
        int whole = k / values;
        byte* target = group + position * SliceBytes;
        nint sliceStride = width * SliceBytes;
        for (int s = 0; s < whole; s++, target += sliceStride, x += values)
        {
            if (bf16)
            {
                BF16PairPanel.Round(Vector512.Load(x)).Store((uint*)target);
                BF16PairPanel.Round(Vector512.Load(x + 16)).Store((uint*)(target + 32));
            }
            else
            {
                Vector256.Load(x).Store((float*)target);
                Vector256.Load(x + 8).Store((float*)target + 8);
            }
        }
        int rest = k - whole * values;
        if (rest > 0)
        {
            for (int i = 0; i < values; i++)
            {
                float value = i < rest ? x[i] : 0;
                if (bf16)
                    ((ushort*)target)[i] = Tensors.Quants.BF16.FromSingle(value);
                else
                    ((float*)target)[i] = value;
            }
        }
    }
}
