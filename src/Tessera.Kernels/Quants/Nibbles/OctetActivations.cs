using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// Q8_0 activations rearranged for the AVX2 octet dot (<see cref="NibbleOctetDot{TLevels}"/>): the same quants and
/// scales as <see cref="Q8_0Activations"/>, eight blocks (256 values) per group, laid out for four steps of two blocks
/// (block 2j in the low 128-bit lane, 2j+1 in the high one) and for one vector of per-block sums at the end. Per
/// group, 512 bytes, of which the dot reads 320:
/// <code>
///   [64j +  0 .. 64j + 31] low  sbyte: x_2j[0..15],  x_2j+1[0..15]   (step j = 0..3, pairs with the low nibbles)
///   [64j + 32 .. 64j + 63] high sbyte: x_2j[16..31], x_2j+1[16..31]  (pairs with the high nibbles)
///   [256..287] offset int32[8]: 8 Σ x of blocks 0, 2, 4, 6, 1, 3, 5, 7 (the order the dot's horizontal adds leave)
///   [288..319] scale float[8]: d * 2^112 of the same blocks (the dot's weight scales leave out the 2^112)
///   [320..511] zeros
/// </code>
/// The groups with magnitudes (<see cref="QuantizeWithMagnitudes"/>, for IQ4_NL's sign trick) add 256 bytes,
/// <see cref="MagnitudeOffset"/> past the quants: [512..767] byte |x| in the quants' order.
/// A row whose length is not a multiple of 256 ends in <see cref="PairActivations"/> groups (64 values, 128 bytes;
/// with magnitudes 192).
/// The padding keeps the pair layout's bytes per 64 values (128, with magnitudes 192) everywhere, so that values
/// quantized a chunk at a time (the gated product's 256-value chunks, <see cref="MatVec.ComputeGated"/>) land where a
/// whole row's would; the unused lines are never loaded.
/// </summary>
internal static unsafe class OctetActivations
{
    public const int BlocksPerGroup = 8;
    public const int GroupSize = BlocksPerGroup * Q8_0Activations.BlockSize;   // 256 values
    public const int GroupBytes = 4 * PairActivations.GroupBytes;   // 512
    public const int StepBytes = 64;
    public const int HighOffset = 32;
    public const int SumOffset = 256;
    public const int ScaleOffset = 288;

    /// <summary>Bytes per group with magnitudes (<see cref="QuantizeWithMagnitudes"/>).</summary>
    public const int MagnitudeGroupBytes = GroupBytes + GroupSize;   // 768

    /// <summary>Where a quant's magnitude lies in a group with magnitudes, counted from the quant.</summary>
    public const int MagnitudeOffset = GroupBytes;

    /// <summary>Lane of block b (0..7) in the offset and scale vectors: even blocks fill lanes 0..3, odd ones 4..7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Lane(int block) => (block & 1) * 4 + (block >> 1);

    /// <summary>d_w * d_x in the lanes' block order for eight weight blocks of <paramref name="blockBytes"/> bytes at
    /// <paramref name="weights"/>, each starting with its half scale, and the group at <paramref name="group"/>: the
    /// halves gathered with word inserts and turned into d_w * 2^-112 with a shift and a mask, times the stored
    /// d_x * 2^112 (exact for finite halves; Inf and NaN are not reproduced).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Scales(byte* weights, int blockBytes, byte* group) =>
        WeightScales(weights, blockBytes) * Vector256.Load((float*)(group + ScaleOffset));

    /// <summary>The weight half of <see cref="Scales"/>: d_w * 2^-112 of the eight blocks in the lanes' order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> WeightScales(byte* weights, int blockBytes)
    {
        int b = blockBytes;
        var halves = Vector128.Create(*(short*)weights, *(short*)(weights + 2 * b), *(short*)(weights + 4 * b), *(short*)(weights + 6 * b),
            *(short*)(weights + b), *(short*)(weights + 3 * b), *(short*)(weights + 5 * b), *(short*)(weights + 7 * b));
        return HalfBits.Unrebiased(Avx2.ConvertToVector256Int32(halves));
    }

    /// <summary>x[k] (k a multiple of <see cref="PairActivations.GroupSize"/>) to k / 256 groups at
    /// <paramref name="destination"/>, then the pair groups of the last k % 256 values. Each block is quantized by the
    /// Q8_0 quantizer's block step, which also returns the block's quant sum for the offsets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination) => Quantize(x, k, destination, magnitudes: false);

    /// <summary>The groups of <see cref="Quantize"/>, <see cref="MagnitudeGroupBytes"/> apart, each followed by its
    /// quants' magnitudes (the tail's pair groups too, <see cref="PairActivations.QuantizeWithMagnitudes"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeWithMagnitudes(float* x, int k, byte* destination) => Quantize(x, k, destination, magnitudes: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quantize(float* x, int k, byte* destination, bool magnitudes)
    {
        byte* scale = stackalloc byte[sizeof(ushort)];
        sbyte* q = stackalloc sbyte[Q8_0Activations.BlockSize];
        int groups = k / GroupSize;
        for (int g = 0; g < groups; g++, destination += magnitudes ? MagnitudeGroupBytes : GroupBytes)
        {
            int* sums = (int*)(destination + SumOffset);
            float* scales = (float*)(destination + ScaleOffset);
            for (int b = 0; b < BlocksPerGroup; b++, x += Q8_0Activations.BlockSize)
            {
                // The octet dot runs with AVX2; the 128-bit step gives the same bytes where a test runs without it.
                int sum = IsaSupport.Avx2 ? Q8_0Activations.QuantizeBlockAvx2(x, scale, q).Sum : Q8_0Activations.QuantizeBlockVector128(x, scale, q).Sum;
                byte* step = destination + (b >> 1) * StepBytes + (b & 1) * 16;
                Vector128.Load(q).Store((sbyte*)step);
                Vector128.Load(q + 16).Store((sbyte*)(step + HighOffset));
                if (magnitudes)
                {
                    Vector128.Abs(Vector128.Load(q)).Store((sbyte*)(step + MagnitudeOffset));
                    Vector128.Abs(Vector128.Load(q + 16)).Store((sbyte*)(step + HighOffset + MagnitudeOffset));
                }
                sums[Lane(b)] = 8 * sum;
                scales[Lane(b)] = HalfBits.ToSingle(scale) * HalfBits.ExponentRebias;
            }
            new Span<byte>(destination + ScaleOffset + 32, GroupBytes - ScaleOffset - 32).Clear();
        }
        if (magnitudes)
            PairActivations.QuantizeWithMagnitudes(x, k - groups * GroupSize, destination);
        else
            PairActivations.Quantize(x, k - groups * GroupSize, destination);
    }
}
