using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>
/// <see cref="PanelRecords"/> from the 4-bit types (Q4_0, Q4_1, IQ4_NL, Q4_K) without decoding each row first:
/// record chunk c holds four consecutive values of each row, and in these types four consecutive values are the
/// nibbles of one 4-byte word of packed bytes, low or high plane. So the eight rows' packed bytes are transposed as
/// 4-byte words, and one table lookup per nibble plane gives two record chunks of all eight rows at once. Against
/// decoding each row to levels and transposing those, this is half the shuffles and no round trip through the
/// stack: the repacking had been half of an IQ4_NL batch of 8 tokens.
/// </summary>
internal static unsafe class NibbleRecords
{
    /// <summary>As <see cref="PanelRecords.Repack{TBlocks}"/>; groups of fewer than eight rows take its general path.</summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Repack<TBlocks>(byte* rows, nint stride, int validRows, int k, byte* destination) where TBlocks : INibblePanelBlocks
    {
        const int group = PanelRecords.Rows;
        if (validRows < group)
        {
            PanelRecords.Repack<TBlocks>(rows, stride, validRows, k, destination);
            return;
        }
        int sub = TBlocks.SubBlocks;
        float* scales = stackalloc float[group * 8];      // [row][sub-block]
        float* offsets = stackalloc float[group * 8];
        float* scratch = stackalloc float[2 * group * group];
        var table = TBlocks.LevelTable;
        float* halves = HalfBits.Table;
        nint blockBytes = TBlocks.BlockBytes;
        int blocks = k / (PanelRecords.ValuesPerRecord * sub);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = rows + b * blockBytes;
            // As in the general path: the next eight rows are requested a block's share at a time.
            Memory.WeightPrefetch.Lines(rows + group * stride + b * group * blockBytes, (int)(group * blockBytes));
            byte* records = destination + (nint)b * sub * PanelRecords.RecordBytes;
            if (sub == 1)
                ThirtyTwoValues(block + TBlocks.NibbleOffset, stride, table, records);
            else
            {
                for (int p = 0; p < sub / 2; p++)
                    SubBlockPair(block + TBlocks.NibbleOffset + 32 * p, stride, table, records + 2 * p * PanelRecords.RecordBytes);
            }
            if (TBlocks.LeadingHalfScale)
            {
                PanelRecords.LeadingHalfScales(block, stride, records);
                continue;
            }
            for (int r = 0; r < group; r++)
                TBlocks.Scales(block + r * stride, halves, scales + r * sub, offsets + r * sub);
            PanelRecords.StoreScales<TBlocks>(scales, offsets, scratch, records);
        }
    }

    /// <summary>A 32-value block of eight rows: rows r and r + 4 share a vector, so after a 4 x 4 word transpose
    /// within each 128-bit lane word vector w holds word w of rows 0..3 then rows 4..7 (the record's order); its low
    /// nibbles are chunk w, its high ones chunk w + 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ThirtyTwoValues(byte* packed, nint stride, Vector256<sbyte> table, byte* record)
    {
        var a0 = Vector256.Create(Vector128.Load(packed), Vector128.Load(packed + 4 * stride)).AsInt32();
        var a1 = Vector256.Create(Vector128.Load(packed + stride), Vector128.Load(packed + 5 * stride)).AsInt32();
        var a2 = Vector256.Create(Vector128.Load(packed + 2 * stride), Vector128.Load(packed + 6 * stride)).AsInt32();
        var a3 = Vector256.Create(Vector128.Load(packed + 3 * stride), Vector128.Load(packed + 7 * stride)).AsInt32();
        var t0 = Avx2.UnpackLow(a0, a1).AsInt64(); var t1 = Avx2.UnpackHigh(a0, a1).AsInt64();
        var t2 = Avx2.UnpackLow(a2, a3).AsInt64(); var t3 = Avx2.UnpackHigh(a2, a3).AsInt64();
        var (l0, h0) = Chunks(Avx2.UnpackLow(t0, t2).AsByte(), table, record, record + 128);
        var (l1, h1) = Chunks(Avx2.UnpackHigh(t0, t2).AsByte(), table, record + 32, record + 160);
        var (l2, h2) = Chunks(Avx2.UnpackLow(t1, t3).AsByte(), table, record + 64, record + 192);
        var (l3, h3) = Chunks(Avx2.UnpackHigh(t1, t3).AsByte(), table, record + 96, record + 224);
        PanelRecords.StoreBias((l0 + h0) + (l1 + h1) + ((l2 + h2) + (l3 + h3)), (int*)(record + PanelRecords.BiasOffset));
    }

    /// <summary>32 packed bytes of eight rows holding two sub-blocks (low nibbles the first, high the second): after
    /// an 8 x 8 word transpose word vector c is chunk c of both records.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubBlockPair(byte* packed, nint stride, Vector256<sbyte> table, byte* records)
    {
        RegisterTranspose.Transpose8(Vector256.Load((int*)packed), Vector256.Load((int*)(packed + stride)),
            Vector256.Load((int*)(packed + 2 * stride)), Vector256.Load((int*)(packed + 3 * stride)),
            Vector256.Load((int*)(packed + 4 * stride)), Vector256.Load((int*)(packed + 5 * stride)),
            Vector256.Load((int*)(packed + 6 * stride)), Vector256.Load((int*)(packed + 7 * stride)),
            out var w0, out var w1, out var w2, out var w3, out var w4, out var w5, out var w6, out var w7);
        byte* second = records + PanelRecords.RecordBytes;
        var (l0, h0) = Chunks(w0.AsByte(), table, records, second);
        var (l1, h1) = Chunks(w1.AsByte(), table, records + 32, second + 32);
        var (l2, h2) = Chunks(w2.AsByte(), table, records + 64, second + 64);
        var (l3, h3) = Chunks(w3.AsByte(), table, records + 96, second + 96);
        var (l4, h4) = Chunks(w4.AsByte(), table, records + 128, second + 128);
        var (l5, h5) = Chunks(w5.AsByte(), table, records + 160, second + 160);
        var (l6, h6) = Chunks(w6.AsByte(), table, records + 192, second + 192);
        var (l7, h7) = Chunks(w7.AsByte(), table, records + 224, second + 224);
        PanelRecords.StoreBias(((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)), (int*)(records + PanelRecords.BiasOffset));
        PanelRecords.StoreBias(((h0 + h1) + (h2 + h3)) + ((h4 + h5) + (h6 + h7)), (int*)(second + PanelRecords.BiasOffset));
    }

    /// <summary>One word vector's low plane to the chunk at <paramref name="low"/> and its high plane to the one at
    /// <paramref name="high"/>; returns each plane's <see cref="PanelRecords.LevelPairs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> Low, Vector256<short> High) Chunks(Vector256<byte> words, Vector256<sbyte> table, byte* low, byte* high)
    {
        var (lowLevels, highLevels) = Lookup(words, table);
        lowLevels.Store((sbyte*)low);
        highLevels.Store((sbyte*)high);
        return (PanelRecords.LevelPairs(lowLevels), PanelRecords.LevelPairs(highLevels));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<sbyte> Low, Vector256<sbyte> High) Lookup(Vector256<byte> words, Vector256<sbyte> table)
    {
        var mask = Vector256.Create((byte)0x0F);
        return (Avx2.Shuffle(table, (words & mask).AsSByte()),
            Avx2.Shuffle(table, (Avx2.ShiftRightLogical(words.AsUInt16(), 4).AsByte() & mask).AsSByte()));
    }
}
