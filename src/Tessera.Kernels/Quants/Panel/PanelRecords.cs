using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

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
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Repack<TBlocks>(byte* rows, nint stride, int validRows, int k, byte* destination) where TBlocks : IPanelBlocks
    {
        var levels = stackalloc Vector256<sbyte>[Rows * 8];   // [row][sub-block], at most 8 sub-blocks per block
        float* scales = stackalloc float[Rows * 16];          // [row][sub-block (half)]
        float* offsets = stackalloc float[Rows * 16];         // [row][sub-block (half)]
        float* halves = stackalloc float[2 * Rows * Rows];    // scratch: first and second halves' values, [row][sub-block]
        if (validRows < Rows)
        {
            // Rows past the last valid one are never decoded: they stay level 0, scale 0, offset 0.
            new Span<byte>(levels, Rows * 8 * 32).Clear();
            new Span<float>(scales, Rows * 16).Clear();
            new Span<float>(offsets, Rows * 16).Clear();
        }
        RepackBlocks<TBlocks>(rows, stride, validRows, k, destination, levels, scales, offsets, halves);
    }

    /// <summary>The block loop of <see cref="Repack{TBlocks}"/>, apart from its stack buffers so that the JIT inlines
    /// <see cref="Interleave"/> here (it called it once per record, with the loop's variables spilled around the call).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RepackBlocks<TBlocks>(byte* rows, nint stride, int validRows, int k, byte* destination,
        Vector256<sbyte>* levels, float* scales, float* offsets, float* halves) where TBlocks : IPanelBlocks
    {
        int sub = TBlocks.SubBlocks;
        int scalesPerSub = TBlocks.HalfScales ? 2 : 1;
        int offsetsPerSub = TBlocks.HalfOffsets ? 2 : 1;
        int blocks = k / (ValuesPerRecord * sub);
        float* halfTable = HalfBits.Table;
        for (int b = 0; b < blocks; b++)
        {
            // The eight rows are read as eight streams, more than a core's prefetchers follow; the next eight rows
            // (contiguous with these in a matrix) are requested a block's share at a time while these are repacked.
            Memory.WeightPrefetch.Lines(rows + Rows * stride + (nint)b * Rows * TBlocks.BlockBytes, Rows * TBlocks.BlockBytes);
            for (int r = 0; r < validRows; r++)
                TBlocks.Decode(rows + r * stride + (nint)b * TBlocks.BlockBytes, halfTable, levels + r * sub, scales + r * sub * scalesPerSub, offsets + r * sub * offsetsPerSub);
            byte* records = destination + (nint)b * sub * RecordBytes;
            for (int j = 0; j < sub; j++)
                Interleave(levels + j, sub, records + (nint)j * RecordBytes, TBlocks.HalfScales);
            StoreScales<TBlocks>(scales, offsets, halves, records);
        }
    }

    /// <summary>The decoded scales and offsets, [row][sub-block (half)], to the records of one block: a vector copy for
    /// the 32-value types, 8 x 8 transposes for the K-quants (one value at a time took about a hundred instructions
    /// per record). <paramref name="halves"/> is scratch for the types with values per 16-value half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreScales<TBlocks>(float* scales, float* offsets, float* halves, byte* records) where TBlocks : IPanelBlocks
    {
        const nint RecordFloats = RecordBytes / sizeof(float);
        if (TBlocks.SubBlocks == 1 && !TBlocks.HalfScales && !TBlocks.HalfOffsets)
        {
            Vector256.Load(scales).Store((float*)(records + ScaleOffset));
            (TBlocks.HasOffsets ? Vector256.Load(offsets) : Vector256<float>.Zero).Store((float*)(records + OffsetOffset));
        }
        else if (TBlocks.SubBlocks == Rows)
        {
            // Column j of [row][sub-block] is record j's eight rows.
            float* evens = halves, odds = halves + Rows * Rows;
            if (TBlocks.HalfScales)
            {
                Deinterleave(scales, evens, odds);
                RegisterTranspose.Transpose8(evens, Rows, (float*)(records + ScaleOffset), RecordFloats);
                RegisterTranspose.Transpose8(odds, Rows, (float*)(records + SecondScaleOffset), RecordFloats);
            }
            else
            {
                RegisterTranspose.Transpose8(scales, Rows, (float*)(records + ScaleOffset), RecordFloats);
            }
            if (TBlocks.HalfOffsets)
            {
                Deinterleave(offsets, evens, odds);
                for (int i = 0; i < Rows * Rows; i += Vector256<float>.Count)
                    (Vector256.Load(odds + i) - Vector256.Load(evens + i)).Store(odds + i);
                RegisterTranspose.Transpose8(evens, Rows, (float*)(records + OffsetOffset), RecordFloats);
                RegisterTranspose.Transpose8(odds, Rows, (float*)(records + SecondOffsetDeltaOffset), RecordFloats);
            }
            else if (TBlocks.HasOffsets)
            {
                RegisterTranspose.Transpose8(offsets, Rows, (float*)(records + OffsetOffset), RecordFloats);
            }
            else
            {
                for (int j = 0; j < Rows; j++)
                    Vector256<float>.Zero.Store((float*)(records + (nint)j * RecordBytes + OffsetOffset));
            }
        }
        else
        {
            StoreScalesOneByOne<TBlocks>(scales, offsets, records);
        }
    }

    /// <summary>[row][16] pairs (sub-block j's halves at 2j, 2j + 1) to [row][8] firsts and [row][8] seconds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave(float* pairs, float* firsts, float* seconds)
    {
        for (int r = 0; r < Rows; r++)
        {
            var low = Vector256.Load(pairs + 16 * r);
            var high = Vector256.Load(pairs + 16 * r + 8);
            // vshufps keeps 128-bit lanes: [l0 l2 h0 h2 | l4 l6 h4 h6], then the 64-bit pairs into order.
            var first = Avx.Shuffle(low, high, 0b10_00_10_00).AsDouble();
            var second = Avx.Shuffle(low, high, 0b11_01_11_01).AsDouble();
            Avx2.Permute4x64(first, 0b11_01_10_00).AsSingle().Store(firsts + Rows * r);
            Avx2.Permute4x64(second, 0b11_01_10_00).AsSingle().Store(seconds + Rows * r);
        }
    }

    /// <summary>The general form of <see cref="StoreScales{TBlocks}"/>, for a block type with neither 1 nor 8
    /// sub-blocks.</summary>
    private static void StoreScalesOneByOne<TBlocks>(float* scales, float* offsets, byte* records) where TBlocks : IPanelBlocks
    {
        int sub = TBlocks.SubBlocks;
        int scalesPerSub = TBlocks.HalfScales ? 2 : 1;
        int offsetsPerSub = TBlocks.HalfOffsets ? 2 : 1;
        for (int j = 0; j < sub; j++)
        {
            byte* record = records + (nint)j * RecordBytes;
            for (int r = 0; r < Rows; r++)
            {
                ((float*)(record + ScaleOffset))[r] = scales[(r * sub + j) * scalesPerSub];
                ((float*)(record + OffsetOffset))[r] = TBlocks.HasOffsets ? offsets[(r * sub + j) * offsetsPerSub] : 0;
                if (TBlocks.HalfScales)
                    ((float*)(record + SecondScaleOffset))[r] = scales[(r * sub + j) * 2 + 1];
                if (TBlocks.HalfOffsets)
                    ((float*)(record + SecondOffsetDeltaOffset))[r] = offsets[(r * sub + j) * 2 + 1] - offsets[(r * sub + j) * 2];
            }
        }
    }

    /// <summary>Eight rows' levels (<paramref name="step"/> vectors apart) to the record's chunk layout and bias (per
    /// 16-value half with <paramref name="halves"/>): an 8 x 8 transpose of int32 chunks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector256<sbyte>* levels, int step, byte* record, bool halves) =>
        InterleaveRows(levels[0].AsInt32(), levels[step].AsInt32(), levels[2 * step].AsInt32(), levels[3 * step].AsInt32(),
            levels[4 * step].AsInt32(), levels[5 * step].AsInt32(), levels[6 * step].AsInt32(), levels[7 * step].AsInt32(), record, halves);

    /// <summary>Eight rows' 32 levels, one register each, to the record's chunk layout and bias (see
    /// <see cref="Interleave"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void InterleaveRows(Vector256<int> r0, Vector256<int> r1, Vector256<int> r2, Vector256<int> r3,
        Vector256<int> r4, Vector256<int> r5, Vector256<int> r6, Vector256<int> r7, byte* record, bool halves)
    {
        RegisterTranspose.Transpose8(r0, r1, r2, r3, r4, r5, r6, r7,
            out var w0, out var w1, out var w2, out var w3, out var w4, out var w5, out var w6, out var w7);
        var c0 = w0.AsSByte(); var c1 = w1.AsSByte(); var c2 = w2.AsSByte(); var c3 = w3.AsSByte();
        var c4 = w4.AsSByte(); var c5 = w5.AsSByte(); var c6 = w6.AsSByte(); var c7 = w7.AsSByte();
        c0.Store((sbyte*)record); c1.Store((sbyte*)(record + 32)); c2.Store((sbyte*)(record + 64)); c3.Store((sbyte*)(record + 96));
        c4.Store((sbyte*)(record + 128)); c5.Store((sbyte*)(record + 160)); c6.Store((sbyte*)(record + 192)); c7.Store((sbyte*)(record + 224));
        var first = (LevelPairs(c0) + LevelPairs(c1)) + (LevelPairs(c2) + LevelPairs(c3));
        var second = (LevelPairs(c4) + LevelPairs(c5)) + (LevelPairs(c6) + LevelPairs(c7));
        if (halves)
        {
            StoreBias(first, (int*)(record + BiasOffset));
            StoreBias(second, (int*)(record + SecondBiasOffset));
        }
        else
        {
            StoreBias(first + second, (int*)(record + BiasOffset));
        }
    }

    /// <summary>The record's scales where each of the eight rows' blocks (<paramref name="stride"/> bytes apart) starts
    /// with its scale as a half and has no offset (Q4_0, Q8_0, IQ4_NL): the halves gathered into one register and
    /// converted together, the same floats as the conversion table gives (Inf and NaN included), where a table load and
    /// a store per row had been about half of a repacked Q4_0 or IQ4_NL block's instructions. The offsets are zero, as
    /// <see cref="StoreScales{TBlocks}"/> writes them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void LeadingHalfScales(byte* block, nint stride, byte* record)
    {
        var halves = Vector128.Create(*(ushort*)block, *(ushort*)(block + stride), *(ushort*)(block + 2 * stride),
            *(ushort*)(block + 3 * stride), *(ushort*)(block + 4 * stride), *(ushort*)(block + 5 * stride),
            *(ushort*)(block + 6 * stride), *(ushort*)(block + 7 * stride));
        HalfBits.ToSingle(Avx2.ConvertToVector256Int32(halves).AsUInt32()).Store((float*)(record + ScaleOffset));
        Vector256<float>.Zero.Store((float*)(record + OffsetOffset));
    }

    /// <summary>A chunk vector's levels summed in byte pairs, each row's int32 lane as two int16 halves: a pair is at most
    /// 2 * 128 in size, a record's eight chunks 2048, far from saturating.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<short> LevelPairs(Vector256<sbyte> chunk) => Avx2.MultiplyAddAdjacent(Vector256.Create((byte)1), chunk);

    /// <summary>A bias field: 128 * Σ levels of each row, from the rows' <see cref="LevelPairs"/> (the activations are
    /// stored as q + 128, see <see cref="PanelActivations"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreBias(Vector256<short> levelPairs, int* bias) =>
        Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(levelPairs, Vector256.Create((short)1)), 7).Store(bias);
}
