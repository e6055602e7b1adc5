using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Kernels.Quants.Q8_1;
using Tessera.Kernels.Quants.Q8_K;
using Tessera.Tensors;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>
/// One token's activations for <see cref="Int8PanelKernel"/>, converted from the weight type's own activation blocks
/// (Q8_0, Q8_1 or Q8_K, so the integer products are exactly those of the type's dot product). For k values, k / 32
/// sub-blocks:
/// <code>
///   [0 .. 32 n)        byte q + 128 (1..255): vpmaddubsw wants its unsigned operand here, the weights being signed
///                      (sbyte q itself for the kernel's sign-trick path, see QuantKernel.PanelSignedActivations)
///   [32 n .. 36 n)     float d, the sub-block's scale
///   [36 n .. 40 n)     float s = d * Σ q, for the weights' offsets
///   [40 n .. 44 n)     float d * Σ q over the sub-block's second 16 values, for offsets per 16-value half (Q2_K)
/// </code>
/// </summary>
internal static unsafe class PanelActivations
{
    public const int BytesPerSubBlock = 44;

    public static long RowBytes(int k) => (long)(k / PanelRecords.ValuesPerRecord) * BytesPerSubBlock;

    /// <summary>Where a row of <paramref name="subBlocks"/> sub-blocks keeps its scales d (after the quants).</summary>
    public static nint ScalesOffset(int subBlocks) => 32 * (nint)subBlocks;

    /// <summary>Where a row of <paramref name="subBlocks"/> sub-blocks keeps its sums s = d * Σ q (after the scales).</summary>
    public static nint SumsOffset(int subBlocks) => 36 * (nint)subBlocks;

    /// <summary>A row of <paramref name="k"/> values in <paramref name="type"/>'s blocks to the panel layout; with
    /// <paramref name="signed"/> the quants are stored as they are, for the kernel's sign-trick path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Convert(GgmlType type, byte* source, int k, byte* destination, bool signed)
    {
        int n = k / PanelRecords.ValuesPerRecord;
        float* scales = (float*)(destination + ScalesOffset(n));
        float* sums = scales + n;
        float* secondSums = sums + n;
        for (int j = 0; j < n; j++)
        {
            sbyte* q;
            float d;
            switch (type)
            {
                case GgmlType.Q8_0:
                    {
                        byte* block = source + j * Q8_0Activations.BlockBytes;
                        d = HalfBits.ToSingle(block);
                        q = (sbyte*)(block + 2);
                        break;
                    }
                case GgmlType.Q8_1:
                    {
                        // Not the block's stored s: that is a half, and the centred levels put 8 d (or 16 d) times
                        // its rounding error on every result (the type's own dot multiplies it by m only).
                        byte* block = source + j * Q8_1Activations.BlockBytes;
                        d = HalfBits.ToSingle(block);
                        q = (sbyte*)(block + 4);
                        break;
                    }
                case GgmlType.Q8_K:
                    {
                        byte* block = source + (j / 8) * Q8_KActivations.BlockBytes;
                        d = Q8_KBlock.Scale(block);
                        q = Q8_KBlock.Quants(block) + 32 * (j % 8);
                        break;
                    }
                default:
                    throw new ArgumentOutOfRangeException(nameof(type), type, "no panel activation layout");
            }
            var quants = Vector256.Load(q).AsByte();
            (quants ^ Vector256.Create(signed ? (byte)0 : (byte)0x80)).Store(destination + 32 * j);
            // Σ q per 16-value half by vpsadbw over q + 128 (one 64-bit sum per 8 bytes), less 16 * 128 per half.
            var eightSums = Avx2.SumAbsoluteDifferences(quants ^ Vector256.Create((byte)0x80), Vector256<byte>.Zero).AsInt64();
            int first = (int)(eightSums.GetElement(0) + eightSums.GetElement(1)) - 16 * 128;
            int second = (int)(eightSums.GetElement(2) + eightSums.GetElement(3)) - 16 * 128;
            scales[j] = d;
            sums[j] = d * (first + second);
            secondSums[j] = d * second;
        }
    }
}
