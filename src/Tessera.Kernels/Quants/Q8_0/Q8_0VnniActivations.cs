using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q8_0;

/// <summary>
/// Q8_0 activations laid out for <see cref="Q8_0VnniDot"/>: the same quants and scales as <see cref="Q8_0Activations"/>,
/// four blocks (128 values) a group, with each 32-bit lane's correction and scale ready as memory operands. Per group,
/// 384 bytes:
/// <code>
///   [  0..127] quants sbyte: blocks 0..3, 32 each, as in the file's blocks
///   [128..255] offset int32[32]: lane i = 128 * Σ_{j=4i..4i+3} quants[j]  (Σ (w + 128) x = Σ w x + offset)
///   [256..383] scale float[32]: lane i = d_(i/8) * 2^112 (the kernel's half-to-float trick leaves out the 2^112)
/// </code>
/// </summary>
internal static unsafe class Q8_0VnniActivations
{
    public const int BlocksPerGroup = 4;
    public const int GroupSize = BlocksPerGroup * Q8_0Activations.BlockSize;   // 128 values
    public const int GroupBytes = 384;
    public const int OffsetsOffset = 128;
    public const int ScalesOffset = 256;

    /// <summary>x[k] (k a multiple of <see cref="GroupSize"/>) to k / 128 groups at <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination)
    {
        byte* blocks = stackalloc byte[BlocksPerGroup * Q8_0Activations.BlockBytes];
        for (int g = 0; g < k / GroupSize; g++, x += GroupSize, destination += GroupBytes)
        {
            Q8_0Activations.Quantize(x, GroupSize, blocks);
            for (int b = 0; b < BlocksPerGroup; b++)
                Rearrange(blocks + b * Q8_0Activations.BlockBytes, destination, b);
        }
    }

    /// <summary>Block <paramref name="b"/> of a group: its 32 quants, its 8 lanes' offsets and scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rearrange(byte* block, byte* group, int b)
    {
        sbyte* quants = (sbyte*)(block + 2);
        int* offsets = (int*)(group + OffsetsOffset) + 8 * b;
        Vector256.Create(HalfBits.ToSingle(block) * HalfBits.ExponentRebias).Store((float*)(group + ScalesOffset) + 8 * b);
        if (Ssse3.IsSupported)
        {
            // Decode quantizes on the calling thread while the other kernel threads wait: a few vector operations per
            // block instead of a loop per byte.
            var ones = Vector128.Create((byte)1);
            var wordOnes = Vector128.Create((short)1);
            for (int half = 0; half < 2; half++)
            {
                var q = Vector128.Load(quants + 16 * half);
                q.Store((sbyte*)group + 32 * b + 16 * half);
                (Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(ones, q), wordOnes) * 128).Store(offsets + 4 * half);
            }
            return;
        }
        for (int lane = 0; lane < 8; lane++)
        {
            int sum = 0;
            for (int j = 4 * lane; j < 4 * lane + 4; j++)
            {
                ((sbyte*)group)[32 * b + j] = quants[j];
                sum += quants[j];
            }
            offsets[lane] = 128 * sum;
        }
    }
}
