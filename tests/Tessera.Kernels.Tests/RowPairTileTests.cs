using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Threading;
using Tessera.Tensors;
using BFloat16 = Tessera.Tensors.Quants.BF16;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The small-batch row-pair tiles (<see cref="RowPairTile"/>, machine code: <c>vdpbf16ps</c> for BF16,
/// <c>vcvtph2ps</c> and FMA for F16) against their scalar reference, their token slices against the scalar
/// conversions, and the matmul built on them (<see cref="RowPairMatMul"/>) against float64 (their bytes:
/// <see cref="MachineCodeTests"/>).
/// </summary>
public sealed unsafe class RowPairTileTests
{
    /// <summary>The widths the tile takes here: 8 only with AVX-512 (F16's 256-bit form takes 4 and 2).</summary>
    public static TheoryData<int> Widths => IsaSupport.Avx512 ? new() { 8, 4, 2 } : new() { 4, 2 };

    public static TheoryData<GgmlType> Types => new() { GgmlType.BF16, GgmlType.F16 };

    [Avx512Bf16Theory]
    [MemberData(nameof(Widths))]
    public void BF16_tile_matches_the_scalar_reference_and_leaves_the_unused_tokens_zero(int width) =>
        TileMatchesTheScalarReference(GgmlType.BF16, width);

    [F16RowPairTheory]
    [MemberData(nameof(Widths))]
    public void F16_tile_matches_the_scalar_reference_and_leaves_the_unused_tokens_zero(int width) =>
        TileMatchesTheScalarReference(GgmlType.F16, width);

    private static void TileMatchesTheScalarReference(GgmlType type, int width)
    {
        var random = new TestRandom();
        int values = RowPairTile.SliceValues(type);
        // One slice, odd counts, and rows with slack after them (the stride is not the slices' length).
        foreach (var (slices, slack) in new[] { (1, 0), (3, 5), (17, 0), (64, 1), (100, 32) })
        {
            int rowValues = slices * values + slack;
            var weights = random.Floats(RowPairTile.Rows * rowValues).Select(value => Bits(type, value)).ToArray();
            var x = random.Floats(width * slices * values);
            var tokens = new byte[TokenSlices.Bytes(type, slices * values, width)];
            var got = new float[RowPairTile.Rows * RowPairTile.MaxTokens];
            var expected = new float[got.Length];
            Array.Fill(got, float.NaN);
            fixed (ushort* w = weights)
            fixed (float* xs = x)
            fixed (byte* slicesOf = tokens)
            fixed (float* c = got)
            fixed (float* e = expected)
            {
                for (int t = 0; t < width; t++)
                    TokenSlices.Pack(type, xs + t * slices * values, slices * values, width, t, slicesOf);
                RowPairTile.Tile(type, width, w, rowValues * sizeof(ushort), slicesOf, slices, c, 4 * rowValues * sizeof(ushort));
                RowPairTile.TileScalar(type, width, w, rowValues * sizeof(ushort), slicesOf, slices, e);
                for (int r = 0; r < RowPairTile.Rows; r++)
                {
                    for (int t = 0; t < RowPairTile.MaxTokens; t++)
                    {
                        int at = r * RowPairTile.MaxTokens + t;
                        if (t >= width)
                        {
                            Assert.Equal(0f, got[at]);
                            continue;
                        }
                        double magnitude = 0;
                        for (int s = 0; s < slices; s++)
                        {
                            byte* slice = slicesOf + ((long)s * width + t) * RowPairTile.TokenSliceBytes;
                            for (int i = 0; i < values; i++)
                                magnitude += Math.Abs(RowPairTile.Weight(type, weights[r * rowValues + s * values + i]) * TokenSlices.Value(type, slice, i));
                        }
                        Assert.True(Tolerances.Relative(got[at], expected[at], magnitude) <= Tolerances.SimdVsScalar,
                            $"{type} width {width} slices={slices} row {r} token {t}: {got[at]} vs {expected[at]} ({random})");
                    }
                }
            }
        }
    }

    [Avx512Theory]
    [MemberData(nameof(Types))]
    public void Token_slices_hold_each_value_as_the_tile_reads_it_and_pad_with_zeros(GgmlType type)
    {
        var random = new TestRandom();
        int values = RowPairTile.SliceValues(type);
        // Whole slices, a partial last slice, and k below one slice; a group with fewer tokens than places, whose
        // unused places stay as they were.
        foreach (var (k, width, valid) in new[] { (64, 2, 2), (75, 4, 3), (7, 8, 5), (300, 8, 8) })
        {
            var x = random.Floats(valid * k);
            x[0] = float.NaN;
            var group = new byte[TokenSlices.Bytes(type, k, width)];
            Array.Fill(group, (byte)0xFF);
            fixed (float* xs = x)
            fixed (byte* g = group)
            {
                for (int t = 0; t < valid; t++)
                    TokenSlices.Pack(type, xs + t * k, k, width, t, g);
                for (int s = 0; s < TokenSlices.Slices(type, k); s++)
                {
                    for (int t = 0; t < width; t++)
                    {
                        byte* slice = g + ((long)s * width + t) * RowPairTile.TokenSliceBytes;
                        for (int i = 0; i < values; i++)
                        {
                            int value = s * values + i;
                            string where = $"{type} k={k} width {width} slice {s} token {t} value {i} ({random})";
                            if (t >= valid)
                                Assert.True(slice[i] == 0xFF, where);
                            else if (type == GgmlType.BF16)
                                Assert.True(((ushort*)slice)[i] == (value < k ? BFloat16.FromSingle(x[t * k + value]) : 0), where);
                            else
                                Assert.True(BitConverter.SingleToInt32Bits(((float*)slice)[i]) == BitConverter.SingleToInt32Bits(value < k ? x[t * k + value] : 0f), where);
                        }
                    }
                }
            }
        }
    }

    [Avx512Bf16Fact]
    public void BF16_batches_match_float64_on_ragged_shapes() => BatchesMatchFloat64(GgmlType.BF16);

    [F16RowPairFact]
    public void F16_batches_match_float64_on_ragged_shapes() => BatchesMatchFloat64(GgmlType.F16);

    private static void BatchesMatchFloat64(GgmlType type)
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        // Every token count the path takes (groups of 8, 4 and 2, one group or two, a last group of one token);
        // k off the slices, below one slice, and long enough to be cut into several L1 ranges; odd row counts, so
        // tasks end on a lone row. Ranges after the first with whole slices for groups of each width (BF16: 2 tokens
        // past 8192 values, 3 past 5440, 4 past 4096, 12 past 1344; F16 half those). F16 goes on to three groups.
        int most = type == GgmlType.BF16 ? RowPairMatMul.MaxBF16Tokens : RowPairMatMul.MaxF16Tokens;
        foreach (var (rowCount, k, tokens) in new[] { (13, 67, 2), (3, 9000, 2), (9, 16, 3), (5, 6000, 3), (13, 4999, 4), (33, 301, 5),
            (17, 2050, 6), (5, 96, 7), (13, 4099, 8), (21, 515, 9), (7, 130, 10), (3, 64, 11), (5, 3000, 12), (13, 1030, 13), (4, 33, 14),
            (9, 255, 15), (7, 3001, 16), (5, 700, 20), (3, 2100, 24) })
        {
            if (tokens > most)
                continue;
            Assert.True(RowPairMatMul.Applies(type, tokens));
            var weights = new QuantizedRows(type, GgmlType.F32, k, rowCount, random);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            fixed (byte* w = weights.Weights)
            fixed (float* xs = x)
            fixed (float* ys = y)
                RowPairMatMul.Compute(type, w, rowCount, k, xs, tokens, ys, pool);
            weights.AssertProducts(x, tokens, y, Tolerances.ForMatMul(type, k, tokens), $"{type} rows={rowCount} k={k} tokens={tokens} ({random})");
        }
    }

    [Avx512Bf16Fact]
    public void BF16_batches_write_only_their_outputs() => BatchesWriteOnlyTheirOutputs(GgmlType.BF16);

    [F16RowPairFact]
    public void F16_batches_write_only_their_outputs() => BatchesWriteOnlyTheirOutputs(GgmlType.F16);

    // 11 tokens: a group of 8 and one of 3 run as 4, with a token unused; 11 rows end a task on a lone row.
    private static void BatchesWriteOnlyTheirOutputs(GgmlType type) =>
        GuardedOutputs.AssertProductWritesOnlyItsOutputs(type, GgmlType.F32, rowCount: 11, k: 70, tokens: 11,
            (w, rows, k, x, tokens, y, pool) => RowPairMatMul.Compute(type, w, rows, k, x, tokens, y, pool));

    [Fact]
    public void BF16_takes_2_to_16_tokens_and_F16_2_to_24_or_6_where_the_code_runs()
    {
        // F16 2 to 6 where the row triples run (AVX2 without AVX-512): they take over from 7.
        int mostF16 = !IsaSupport.Avx512 && RowTripleTile.Supports(GgmlType.F16) ? 6 : 24;
        Assert.Equal(mostF16, RowPairMatMul.MaxF16Tokens);
        foreach (var (type, most) in new[] { (GgmlType.BF16, 16), (GgmlType.F16, mostF16) })
        {
            Assert.False(RowPairMatMul.Applies(type, 1));
            Assert.False(RowPairMatMul.Applies(type, most + 1));
            for (int tokens = 2; tokens <= most; tokens++)
                Assert.Equal(RowPairTile.Supports(type), RowPairMatMul.Applies(type, tokens));
        }
        Assert.Equal(IsaSupport.Avx512 && BF16PairTile.CpuHasAvx512Bf16 && RowPairTile.Supports(GgmlType.F16), RowPairTile.Supports(GgmlType.BF16));
        Assert.False(RowPairTile.Supports(GgmlType.F32));
        Assert.Equal(8, RowPairTile.Width(5));
        Assert.Equal(4, RowPairTile.Width(3));
        Assert.Equal(2, RowPairTile.Width(1));
    }

    private static ushort Bits(GgmlType type, float value) =>
        type == GgmlType.BF16 ? BFloat16.FromSingle(value) : BitConverter.HalfToUInt16Bits((Half)value);
}

/// <summary>Runs only where the F16 row-pair tile can run (AVX-512 on in the runtime, Linux x86-64), and says so otherwise.</summary>
public sealed class F16RowPairFactAttribute : FactAttribute
{
    public F16RowPairFactAttribute()
    {
        if (!RowPairTile.Supports(GgmlType.F16))
            Skip = Reason;
    }

    internal const string Reason = "the F16 row-pair tile needs AVX-512 on in the runtime and executable pages (Linux x86-64)";
}

/// <summary>The theory form of <see cref="F16RowPairFactAttribute"/>.</summary>
public sealed class F16RowPairTheoryAttribute : TheoryAttribute
{
    public F16RowPairTheoryAttribute()
    {
        if (!RowPairTile.Supports(GgmlType.F16))
            Skip = F16RowPairFactAttribute.Reason;
    }
}

/// <summary>The theory form of <see cref="Avx512Bf16FactAttribute"/>.</summary>
public sealed class Avx512Bf16TheoryAttribute : TheoryAttribute
{
    public Avx512Bf16TheoryAttribute()
    {
        if (!BF16PairTile.IsSupported)
            Skip = new Avx512Bf16FactAttribute().Skip;
    }
}
