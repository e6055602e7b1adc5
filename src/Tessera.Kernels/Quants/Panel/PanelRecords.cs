using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>
/// Eight weight rows repacked for <see cref="Int8PanelKernel"/>: one record per 32 values (k / 32 records), each
/// <see cref="RecordBytes"/> bytes:
/// <code>
///   [  0..255] sbyte levels: chunk c (values 4c..4c+3) of row r at byte 32 c + 4 r, so one 256-bit load holds the
///              same four values of all eight rows and its int32 lanes are the rows
///   [256..287] int32 bias[8]: 128 * Σ levels of row r (the activations are stored as q + 128, see PanelActivations)
///   [288..319] float scale[8]
///   [320..351] float offset[8] (types with a minimum only)
///   [352..415] for types with a scale per 16-value half: bias[8] and scale[8] of the second half, the first
///              half's in the fields above
///   [416..447] for types with an offset per 16-value half: float offset[8] of the second half minus the first's
///              (the first half's offset goes against the whole sub-block's activation sum, this against the second's)
/// </code>
/// Rows past the last valid one are zero (level 0, scale 0), so they produce zeros. A matmul task repacks its rows
/// once and then runs every token over them; the repacking is a few instructions per value, against one
/// multiply-add per value and token.
/// </summary>
internal static unsafe class PanelRecords
{
    public const int Rows = 8;
    public const int ValuesPerRecord = 32;
    public const int RecordBytes = 448;
    public const int BiasOffset = 256;
    public const int ScaleOffset = 288;
    public const int OffsetOffset = 320;
    public const int SecondBiasOffset = 352;
    public const int SecondScaleOffset = 384;
    public const int SecondOffsetDeltaOffset = 416;

    /// <summary><paramref name="validRows"/> (1..8) rows of <paramref name="k"/> values, <paramref name="stride"/> bytes
    /// apart in <typeparamref name="TBlocks"/>'s layout, to k / 32 records at <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Repack<TBlocks>(byte* rows, nint stride, int validRows, int k, byte* destination) where TBlocks : IPanelBlocks
    {
        int sub = TBlocks.SubBlocks;
        int scalesPerSub = TBlocks.HalfScales ? 2 : 1;
        var levels = stackalloc Vector256<sbyte>[Rows * 8];   // [row][sub-block], at most 8 sub-blocks per block
        float* scales = stackalloc float[Rows * 16];          // [row][sub-block (half)]
        int offsetsPerSub = TBlocks.HalfOffsets ? 2 : 1;
        float* offsets = stackalloc float[Rows * 16];         // [row][sub-block (half)]
        new Span<byte>(levels, Rows * 8 * 32).Clear();
        new Span<float>(scales, Rows * 16).Clear();
        new Span<float>(offsets, Rows * 16).Clear();
        int blocks = k / (ValuesPerRecord * sub);
        for (int b = 0; b < blocks; b++)
        {
            for (int r = 0; r < validRows; r++)
                TBlocks.Decode(rows + r * stride + (nint)b * TBlocks.BlockBytes, levels + r * sub, scales + r * sub * scalesPerSub, offsets + r * sub * offsetsPerSub);
            for (int j = 0; j < sub; j++)
            {
                byte* record = destination + (nint)(b * sub + j) * RecordBytes;
                Interleave(levels + j, sub, record, TBlocks.HalfScales);
                float* recordScales = (float*)(record + ScaleOffset);
                float* recordOffsets = (float*)(record + OffsetOffset);
                float* secondScales = (float*)(record + SecondScaleOffset);
                float* secondOffsetDeltas = (float*)(record + SecondOffsetDeltaOffset);
                for (int r = 0; r < Rows; r++)
                {
                    recordScales[r] = scales[(r * sub + j) * scalesPerSub];
                    recordOffsets[r] = offsets[(r * sub + j) * offsetsPerSub];
                    if (TBlocks.HalfScales)
                        secondScales[r] = scales[(r * sub + j) * 2 + 1];
                    if (TBlocks.HalfOffsets)
                        secondOffsetDeltas[r] = offsets[(r * sub + j) * 2 + 1] - offsets[(r * sub + j) * 2];
                }
            }
        }
    }

    /// <summary>Eight rows' levels (<paramref name="step"/> vectors apart) to the record's chunk layout and bias (per
    /// 16-value half with <paramref name="halves"/>): an 8 x 8 transpose of int32 chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector256<sbyte>* levels, int step, byte* record, bool halves)
    {
        var r0 = levels[0].AsInt32(); var r1 = levels[step].AsInt32();
        var r2 = levels[2 * step].AsInt32(); var r3 = levels[3 * step].AsInt32();
        var r4 = levels[4 * step].AsInt32(); var r5 = levels[5 * step].AsInt32();
        var r6 = levels[6 * step].AsInt32(); var r7 = levels[7 * step].AsInt32();
        // Per 128-bit lane: pairs of rows, then quads; the lanes then hold chunks c and c + 4.
        var t0 = Avx2.UnpackLow(r0, r1).AsInt64(); var t1 = Avx2.UnpackHigh(r0, r1).AsInt64();
        var t2 = Avx2.UnpackLow(r2, r3).AsInt64(); var t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        var t4 = Avx2.UnpackLow(r4, r5).AsInt64(); var t5 = Avx2.UnpackHigh(r4, r5).AsInt64();
        var t6 = Avx2.UnpackLow(r6, r7).AsInt64(); var t7 = Avx2.UnpackHigh(r6, r7).AsInt64();
        var u0 = Avx2.UnpackLow(t0, t2); var u1 = Avx2.UnpackHigh(t0, t2);
        var u2 = Avx2.UnpackLow(t1, t3); var u3 = Avx2.UnpackHigh(t1, t3);
        var u4 = Avx2.UnpackLow(t4, t6); var u5 = Avx2.UnpackHigh(t4, t6);
        var u6 = Avx2.UnpackLow(t5, t7); var u7 = Avx2.UnpackHigh(t5, t7);
        var c0 = Avx2.Permute2x128(u0, u4, 0x20).AsSByte(); var c4 = Avx2.Permute2x128(u0, u4, 0x31).AsSByte();
        var c1 = Avx2.Permute2x128(u1, u5, 0x20).AsSByte(); var c5 = Avx2.Permute2x128(u1, u5, 0x31).AsSByte();
        var c2 = Avx2.Permute2x128(u2, u6, 0x20).AsSByte(); var c6 = Avx2.Permute2x128(u2, u6, 0x31).AsSByte();
        var c3 = Avx2.Permute2x128(u3, u7, 0x20).AsSByte(); var c7 = Avx2.Permute2x128(u3, u7, 0x31).AsSByte();
        c0.Store((sbyte*)record); c1.Store((sbyte*)(record + 32)); c2.Store((sbyte*)(record + 64)); c3.Store((sbyte*)(record + 96));
        c4.Store((sbyte*)(record + 128)); c5.Store((sbyte*)(record + 160)); c6.Store((sbyte*)(record + 192)); c7.Store((sbyte*)(record + 224));
        // Σ levels per row: byte pairs (|level| <= 32, far from saturating), then the int32 lane of each row.
        var ones = Vector256.Create((byte)1);
        var first = Avx2.MultiplyAddAdjacent(ones, c0) + Avx2.MultiplyAddAdjacent(ones, c1) + Avx2.MultiplyAddAdjacent(ones, c2)
            + Avx2.MultiplyAddAdjacent(ones, c3);
        var second = Avx2.MultiplyAddAdjacent(ones, c4) + Avx2.MultiplyAddAdjacent(ones, c5) + Avx2.MultiplyAddAdjacent(ones, c6)
            + Avx2.MultiplyAddAdjacent(ones, c7);
        var unit = Vector256.Create((short)1);
        if (halves)
        {
            Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(first, unit), 7).Store((int*)(record + BiasOffset));
            Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(second, unit), 7).Store((int*)(record + SecondBiasOffset));
        }
        else
        {
            Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(first + second, unit), 7).Store((int*)(record + BiasOffset));
        }
    }
}
