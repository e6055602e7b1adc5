using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.Q8_0;

/// <summary>
/// <see cref="PanelRecords"/> from Q8_0 rows, whose levels are the block's 32 bytes as stored: each record's eight
/// rows are loaded straight into registers, transposed and their scales converted together. The general repacking
/// (<see cref="PanelRecords.Repack{TBlocks}"/>) decodes row by row into a stack buffer first and converts each scale on
/// its own; that was 46% of a profile of Q8_0 batches of four tokens. This form made Q8_0 matmuls of 4 tokens 2-9% faster
/// (21 paired rounds in one process; -4 to +3% in 15 earlier ones) and of 8 tokens 3-13%: the rows mostly wait on
/// memory.
/// </summary>
internal static unsafe class Q8_0Records
{
    /// <summary>As <see cref="PanelRecords.Repack{TBlocks}"/>; groups of fewer than eight rows take its general path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Repack(byte* rows, nint stride, int validRows, int k, byte* destination)
    {
        const int group = PanelRecords.Rows;
        if (validRows < group)
        {
            PanelRecords.Repack<Q8_0PanelBlocks>(rows, stride, validRows, k, destination);
            return;
        }
        const int blockBytes = Q8_0Activations.BlockBytes;
        int blocks = k / Q8_0Activations.BlockSize;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = rows + b * blockBytes;
            // As in the general path: the next eight rows are requested a block's share at a time.
            Memory.WeightPrefetch.Lines(rows + group * stride + b * group * blockBytes, group * blockBytes);
            byte* record = destination + (nint)b * PanelRecords.RecordBytes;
            byte* levels = block + 2;
            PanelRecords.InterleaveRows(Vector256.Load((int*)levels), Vector256.Load((int*)(levels + stride)),
                Vector256.Load((int*)(levels + 2 * stride)), Vector256.Load((int*)(levels + 3 * stride)),
                Vector256.Load((int*)(levels + 4 * stride)), Vector256.Load((int*)(levels + 5 * stride)),
                Vector256.Load((int*)(levels + 6 * stride)), Vector256.Load((int*)(levels + 7 * stride)), record, halves: false);
            PanelRecords.LeadingHalfScales(block, stride, record);
        }
    }
}
