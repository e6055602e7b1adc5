using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Threading;
using Tessera.Tensors;
using BFloat16 = Tessera.Tensors.Quants.BF16;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The BF16 small-batch tile (<see cref="BF16RowPairTile"/>, <c>vdpbf16ps</c> as machine code) against its scalar
/// reference, its token slices against <see cref="BFloat16.FromSingle"/>, and the matmul built on them
/// (<see cref="BF16BatchMatMul"/>) against float64 (its bytes: <see cref="MachineCodeTests"/>).
/// </summary>
public sealed unsafe class BF16RowPairTileTests
{
    public static TheoryData<int> Widths => new() { 8, 4, 2 };

    [Avx512Bf16Theory]
    [MemberData(nameof(Widths))]
    public void Tile_matches_the_scalar_reference_and_leaves_the_unused_tokens_zero(int width)
    {
        var random = new TestRandom();
        // One slice, odd counts, and rows with slack after them (the stride is not the slices' length).
        foreach (var (slices, slack) in new[] { (1, 0), (3, 5), (17, 0), (64, 1), (100, 32) })
        {
            int rowValues = slices * BF16RowPairTile.SliceValues + slack;
            var weights = random.Floats(BF16RowPairTile.Rows * rowValues).Select(BFloat16.FromSingle).ToArray();
            var tokens = random.Floats(slices * width * BF16RowPairTile.SliceValues).Select(BFloat16.FromSingle).ToArray();
            var got = new float[BF16RowPairTile.Rows * BF16RowPairTile.MaxTokens];
            var expected = new float[got.Length];
            Array.Fill(got, float.NaN);
            fixed (ushort* w = weights)
            fixed (ushort* x = tokens)
            fixed (float* c = got)
            fixed (float* e = expected)
            {
                BF16RowPairTile.Tile(width, w, rowValues * sizeof(ushort), x, slices, c, 4 * rowValues * sizeof(ushort));
                BF16RowPairTile.TileScalar(width, w, rowValues * sizeof(ushort), x, slices, e);
            }
            for (int r = 0; r < BF16RowPairTile.Rows; r++)
            {
                for (int t = 0; t < BF16RowPairTile.MaxTokens; t++)
                {
                    int at = r * BF16RowPairTile.MaxTokens + t;
                    if (t >= width)
                    {
                        Assert.Equal(0f, got[at]);
                        continue;
                    }
                    double magnitude = 0;
                    for (int s = 0; s < slices; s++)
                    {
                        for (int i = 0; i < BF16RowPairTile.SliceValues; i++)
                        {
                            magnitude += Math.Abs(BFloat16.ToSingle(weights[r * rowValues + s * BF16RowPairTile.SliceValues + i])
                                * BFloat16.ToSingle(tokens[(s * width + t) * BF16RowPairTile.SliceValues + i]));
                        }
                    }
                    Assert.True(Tolerances.Relative(got[at], expected[at], magnitude) <= Tolerances.SimdVsScalar,
                        $"width {width} slices={slices} row {r} token {t}: {got[at]} vs {expected[at]} ({random})");
                }
            }
        }
    }

    [Avx512Fact]
    public void Token_slices_round_every_value_as_the_scalar_conversion_and_pad_with_zeros()
    {
        var random = new TestRandom();
        // Whole slices, a partial last slice, and k below one slice; a group with fewer tokens than places, whose
        // unused places stay as they were.
        foreach (var (k, width, valid) in new[] { (64, 2, 2), (75, 4, 3), (7, 8, 5), (300, 8, 8) })
        {
            var x = random.Floats(valid * k);
            x[0] = float.NaN;
            var group = new ushort[BF16TokenSlices.Values(k, width)];
            Array.Fill(group, (ushort)0xFFFF);
            fixed (float* xs = x)
            fixed (ushort* g = group)
            {
                for (int t = 0; t < valid; t++)
                    BF16TokenSlices.Pack(xs + t * k, k, width, t, g);
            }
            for (int s = 0; s < BF16TokenSlices.Slices(k); s++)
            {
                for (int t = 0; t < width; t++)
                {
                    for (int i = 0; i < BF16RowPairTile.SliceValues; i++)
                    {
                        int value = s * BF16RowPairTile.SliceValues + i;
                        ushort expected = t >= valid ? (ushort)0xFFFF : value < k ? BFloat16.FromSingle(x[t * k + value]) : (ushort)0;
                        ushort actual = group[(s * width + t) * BF16RowPairTile.SliceValues + i];
                        Assert.True(expected == actual, $"k={k} width {width} slice {s} token {t} value {i}: 0x{actual:X4} vs 0x{expected:X4} ({random})");
                    }
                }
            }
        }
    }

    [Avx512Bf16Fact]
    public void Batches_of_2_to_16_match_float64_on_ragged_shapes()
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        // Every token count the path takes (groups of 8, 4 and 2, one group or two, a last group of one token);
        // k off the slices, below one slice, and long enough to be cut into several L1 ranges; odd row counts, so
        // tasks end on a lone row.
        // Ranges after the first with whole slices for groups of each width: 2 tokens past 8192 values, 3 past 5440, 4
        // past 4096, 12 (8 + 4) past 1344.
        foreach (var (rowCount, k, tokens) in new[] { (13, 67, 2), (3, 9000, 2), (9, 16, 3), (5, 6000, 3), (13, 4999, 4), (33, 301, 5),
            (17, 2050, 6), (5, 96, 7), (13, 4099, 8), (21, 515, 9), (7, 130, 10), (3, 64, 11), (5, 3000, 12), (13, 1030, 13), (4, 33, 14),
            (9, 255, 15), (7, 3001, 16) })
        {
            Assert.True(BF16BatchMatMul.Applies(tokens));
            var weights = new QuantizedRows(GgmlType.BF16, GgmlType.F32, k, rowCount, random);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            fixed (byte* w = weights.Weights)
            fixed (float* xs = x)
            fixed (float* ys = y)
                BF16BatchMatMul.Compute(w, rowCount, k, xs, tokens, ys, pool);
            weights.AssertProducts(x, tokens, y, Tolerances.Bfloat16Activations, $"rows={rowCount} k={k} tokens={tokens} ({random})");
        }
    }

    [Avx512Bf16Fact]
    public void Batches_write_only_their_outputs()
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        // 11 tokens: a group of 8 and one of 3 run as 4, with a token unused; 11 rows end a task on a lone row.
        const int rowCount = 11, k = 70, tokens = 11;
        var weights = new QuantizedRows(GgmlType.BF16, GgmlType.F32, k, rowCount, random);
        var x = random.Floats(tokens * k);
        var y = GuardedOutputs.Create(tokens * rowCount);
        fixed (byte* w = weights.Weights)
        fixed (float* xs = x)
        fixed (float* ys = y)
            BF16BatchMatMul.Compute(w, rowCount, k, xs, tokens, ys, pool);
        GuardedOutputs.AssertOnlyOutputsWritten(y, tokens * rowCount);
    }

    [Fact]
    public void Batches_of_2_to_16_take_it_where_vdpbf16ps_runs()
    {
        Assert.False(BF16BatchMatMul.Applies(1));
        Assert.False(BF16BatchMatMul.Applies(17));
        for (int tokens = 2; tokens <= 16; tokens++)
            Assert.Equal(BF16RowPairTile.IsSupported, BF16BatchMatMul.Applies(tokens));
        Assert.Equal(8, BF16RowPairTile.Width(5));
        Assert.Equal(4, BF16RowPairTile.Width(3));
        Assert.Equal(2, BF16RowPairTile.Width(1));
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
