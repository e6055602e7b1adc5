using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// Q8_0 activations rearranged for the 512-bit nibble kernels (<see cref="NibblePackedDot{TLevels}"/>): the same quants and
/// scales as <see cref="Q8_0Activations"/>, grouped four blocks (128 values) at a time so that one vpermt2b of a
/// weight group's 64 nibble bytes lines up with them. Per group, 256 bytes:
/// <code>
///   [  0.. 63] low   sbyte: x_b[0..15]  for blocks b = 0..3 (pairs with the low nibbles)
///   [ 64..127] high  sbyte: x_b[16..31] for blocks b = 0..3 (pairs with the high nibbles)
///   [128..191] offset int32[16]: lane i = 8 * Σ_{j=4i..4i+3} (low[j] + high[j])  (Σ (l - 8) x = Σ l x - offset);
///                                 128 * that sum for levels taken plus 128 (QuantizeForLevelsPlus128)
///   [192..255] scale float[16]: lane i = d_(i/4) * 2^112 (the kernels' half-to-float trick leaves out the 2^112)
/// </code>
/// Everything a weight row needs from the activations is then a memory operand: no per-row decoding of x.
/// </summary>
internal static unsafe class NibbleActivations
{
    public const int BlocksPerGroup = 4;
    public const int GroupSize = BlocksPerGroup * Q8_0Activations.BlockSize;   // 128 values
    public const int GroupBytes = 256;
    public const int LowOffset = 0;
    public const int HighOffset = 64;
    public const int SumOffset = 128;
    public const int ScaleOffset = 192;

    /// <summary>x[k] (k a multiple of <see cref="GroupSize"/>) to k / 128 groups at <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination) => Quantize(x, k, destination, BlocksPerGroup, HalfBits.ExponentRebias);

    /// <summary>The same groups with 128 Σx in the offsets instead of 8 Σx: the correction for levels taken plus 128
    /// (IQ4_NL in <see cref="NibbleVnniTile"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeForLevelsPlus128(float* x, int k, byte* destination) =>
        Quantize(x, k, destination, BlocksPerGroup, HalfBits.ExponentRebias, 128);

    /// <summary>
    /// x[k] to groups of <paramref name="blocksPerGroup"/> Q8_0 blocks in this layout, generalised: low quants
    /// [16 B], high quants [16 B], int32 offsets [4 B] (<paramref name="offsetScale"/> Σx), float scales [4 B] for B
    /// blocks, each scale times <paramref name="scaleFactor"/> (the 512-bit kernels' 2^112; <see cref="PairActivations"/>
    /// uses B = 2 and 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Quantize(float* x, int k, byte* destination, int blocksPerGroup, float scaleFactor, int offsetScale = 8)
    {
        int groupSize = blocksPerGroup * Q8_0Activations.BlockSize;
        byte* blocks = stackalloc byte[blocksPerGroup * Q8_0Activations.BlockBytes];
        for (int g = 0; g < k / groupSize; g++, x += groupSize, destination += 64 * blocksPerGroup)
        {
            Q8_0Activations.Quantize(x, groupSize, blocks);
            Rearrange(blocks, destination, blocksPerGroup, scaleFactor, offsetScale);
        }
    }

    /// <summary>Consecutive Q8_0 blocks to one group (see <see cref="Quantize(float*, int, byte*, int, float)"/>).</summary>
    private static void Rearrange(byte* q8Blocks, byte* group, int blocksPerGroup, float scaleFactor, int offsetScale)
    {
        sbyte* low = (sbyte*)group;
        sbyte* high = low + 16 * blocksPerGroup;
        int* sums = (int*)(high + 16 * blocksPerGroup);
        float* scales = (float*)(sums + 4 * blocksPerGroup);
        if (Ssse3.IsSupported)
        {
            // Decode quantizes on the calling thread while the other kernel threads wait: a few vector operations per
            // block instead of a loop per byte.
            var ones = Vector128.Create((byte)1);
            var wordOnes = Vector128.Create((short)1);
            for (int b = 0; b < blocksPerGroup; b++)
            {
                byte* block = q8Blocks + b * Q8_0Activations.BlockBytes;
                var lowQuants = Vector128.Load((sbyte*)(block + 2));
                var highQuants = Vector128.Load((sbyte*)(block + 18));
                lowQuants.Store(low + 16 * b);
                highQuants.Store(high + 16 * b);
                var pairs = Ssse3.MultiplyAddAdjacent(ones, lowQuants) + Ssse3.MultiplyAddAdjacent(ones, highQuants);
                (Sse2.MultiplyAddAdjacent(pairs, wordOnes) * offsetScale).Store(sums + 4 * b);
                Vector128.Create(HalfBits.ToSingle(block) * scaleFactor).Store(scales + 4 * b);
            }
            return;
        }
        for (int b = 0; b < blocksPerGroup; b++)
        {
            byte* block = q8Blocks + b * Q8_0Activations.BlockBytes;
            sbyte* q = (sbyte*)(block + 2);
            for (int j = 0; j < 16; j++)
            {
                low[16 * b + j] = q[j];
                high[16 * b + j] = q[j + 16];
            }
            float scale = HalfBits.ToSingle(block) * scaleFactor;
            for (int lane = 4 * b; lane < 4 * b + 4; lane++)
            {
                int sum = 0;
                for (int j = 4 * lane; j < 4 * lane + 4; j++)
                    sum += low[j] + high[j];
                sums[lane] = offsetScale * sum;
                scales[lane] = scale;
            }
        }
    }
}
