using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// Q8_0 activations rearranged for two-block AVX2 steps (the tails of <see cref="NibbleOctetDot{TLevels}"/> and
/// <see cref="Q5_0.Q5_0OctetDot"/>): the same quants and scales as
/// <see cref="Q8_0Activations"/>, two blocks (64 values) per group so that one 256-bit register of nibbles (block 0
/// in the low lane, block 1 in the high one) lines up with them. Per group, 128 bytes:
/// <code>
///   [  0.. 31] low   sbyte: x_0[0..15], x_1[0..15]   (pairs with the low nibbles)
///   [ 32.. 63] high  sbyte: x_0[16..31], x_1[16..31] (pairs with the high nibbles)
///   [ 64.. 95] offset int32[8]: lane i = 8 * Σ of the low and high quants at 4i..4i+3 of its half
///   [ 96..127] scale float[8]: lanes 0-3 d_0, lanes 4-7 d_1
/// </code>
/// The groups with magnitudes (<see cref="QuantizeWithMagnitudes"/>, for IQ4_NL's sign trick) add 64 bytes,
/// <see cref="MagnitudeOffset"/> past the quants: [128..191] byte |x| in the quants' order.
/// </summary>
internal static unsafe class PairActivations
{
    public const int BlocksPerGroup = 2;
    public const int GroupSize = BlocksPerGroup * Q8_0Activations.BlockSize;   // 64 values
    public const int GroupBytes = 128;
    public const int LowOffset = 0;
    public const int HighOffset = 32;
    public const int SumOffset = 64;
    public const int ScaleOffset = 96;

    /// <summary>Bytes per group with magnitudes (<see cref="QuantizeWithMagnitudes"/>).</summary>
    public const int MagnitudeGroupBytes = GroupBytes + GroupSize;   // 192

    /// <summary>Where a quant's magnitude lies in a group with magnitudes, counted from the quant.</summary>
    public const int MagnitudeOffset = GroupBytes;

    /// <summary>d_w * d_x per lane for two weight blocks of <paramref name="blockBytes"/> bytes at
    /// <paramref name="weights"/>, each starting with its half scale (converted by <paramref name="halfTable"/>,
    /// <see cref="Numerics.HalfBits.Table"/>, so Inf and NaN stay), and the group at <paramref name="group"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scales(byte* weights, int blockBytes, byte* group, float* halfTable) =>
        Vector256.Create(Vector128.Create(halfTable[*(ushort*)weights]), Vector128.Create(halfTable[*(ushort*)(weights + blockBytes)]))
        * Vector256.Load((float*)(group + ScaleOffset));

    /// <summary>x[k] (k a multiple of <see cref="GroupSize"/>) to k / 64 groups at <paramref name="destination"/>: the
    /// nibble kernels' layout (<see cref="NibbleActivations"/>) with two blocks per group and plain float scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination) => NibbleActivations.Quantize(x, k, destination, BlocksPerGroup, 1f);

    /// <summary>The groups of <see cref="Quantize"/>, <see cref="MagnitudeGroupBytes"/> apart, each followed by its
    /// quants' magnitudes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeWithMagnitudes(float* x, int k, byte* destination)
    {
        for (int g = 0; g < k / GroupSize; g++, x += GroupSize, destination += MagnitudeGroupBytes)
        {
            Quantize(x, GroupSize, destination);
            Vector256.Abs(Vector256.Load((sbyte*)destination)).Store((sbyte*)(destination + MagnitudeOffset));
            Vector256.Abs(Vector256.Load((sbyte*)(destination + HighOffset))).Store((sbyte*)(destination + HighOffset + MagnitudeOffset));
        }
    }
}
