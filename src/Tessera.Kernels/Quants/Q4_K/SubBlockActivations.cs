using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q4_K;

/// <summary>
/// Q8_K activations rearranged for the 512-bit Q4_K kernels (<see cref="Q4_KPackedDot"/>): the same quants and scale
/// as <see cref="Q8_KActivations"/>, ordered so that a 64-byte load of a Q4_K block's nibbles lines up with them.
/// Q4_K stores sub-blocks 2c and 2c+1 of each 64-value chunk c in the low and high nibbles of the same 32 bytes, so
/// one 64-byte load holds sub-blocks {0, 2} in its low nibbles and {1, 3} in its high nibbles (then {4, 6} / {5, 7}).
/// Per 256-value block, 320 bytes:
/// <code>
///   [  0.. 63] x of sub-blocks 0 and 2     [ 64..127] sub-blocks 1 and 3
///   [128..191] x of sub-blocks 4 and 6     [192..255] sub-blocks 5 and 7
///   [256..287] float[8]: d * (sum of sub-block j's quants)  (for the mins term)
///   [288..291] float d                      [292..319] zero
/// </code>
/// </summary>
internal static unsafe class SubBlockActivations
{
    public const int BlockSize = Q8_KActivations.BlockSize;
    public const int BlockBytes = 320;
    public const int SumsOffset = 256;
    public const int ScaleOffset = 288;
    private const int SubBlock = 32;

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
        for (int j = 0; j < 8; j++)
        {
            // Sub-block j goes to 64-byte row (j / 4) * 2 + j % 2, half (j / 2) % 2 of it.
            int row = j / 4 * 2 + j % 2, half = j / 2 % 2;
            new ReadOnlySpan<byte>(q + SubBlock * j, SubBlock).CopyTo(new Span<byte>(destination + 64 * row + SubBlock * half, SubBlock));
            ((float*)(destination + SumsOffset))[j] = d * (sums[2 * j] + sums[2 * j + 1]);
        }
        *(float*)(destination + ScaleOffset) = d;
    }
}
