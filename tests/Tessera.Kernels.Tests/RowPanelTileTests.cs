using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Threading;
using Tessera.Tensors;
using BFloat16 = Tessera.Tensors.Quants.BF16;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The row-panel tiles of F16 and BF16 prompt matmuls on CPUs without AVX-512 (<see cref="F16cRowPanelTile"/>,
/// <see cref="BF16RowPanelTile"/>) and their packing (<see cref="RowPanel"/>), against scalar references: each result
/// is the FMA chain over k in order, so the references are exact, not within a tolerance. CI runs these in both of its
/// kernel passes.
/// </summary>
public sealed unsafe class RowPanelTileTests
{
    public static TheoryData<GgmlType> Types => new() { GgmlType.F16, GgmlType.BF16 };

    [Fact]
    public void Packing_puts_each_value_of_k_in_its_rows_slots_and_zeros_past_the_last_row()
    {
        var random = new TestRandom();
        // Row counts below, at and past one 8 x 8 transpose; k below, at and off its multiples of 8, and past the
        // 32-value chunks a full panel is packed in (47: one chunk and a tail of 15 value by value; 200: six chunks and
        // 8); rows further apart than k (a slice of a wider matrix); both slot orders.
        foreach (bool paired in new[] { false, true })
        {
            var slots = Enumerable.Range(0, RowPanel.Rows).Select(r => RowPanel.Slot(r, paired)).ToArray();
            Assert.Equal(Enumerable.Range(0, RowPanel.Rows), slots.Order());
            foreach (int count in new[] { 1, 5, 8, 9, 15, 16 })
            {
                foreach (int k in new[] { 1, 7, 8, 9, 47, 67, 200 })
                {
                    int rowValues = k + 3;
                    var rows = RandomBits(random, GgmlType.F16, count * rowValues);
                    var panel = new ushort[k * RowPanel.Rows];
                    panel.AsSpan().Fill(0xffff);
                    fixed (ushort* source = rows)
                    fixed (ushort* destination = panel)
                        RowPanel.Pack((byte*)source, rowValues * sizeof(ushort), count, k, destination, paired);
                    for (int i = 0; i < k; i++)
                    {
                        for (int r = 0; r < RowPanel.Rows; r++)
                            Assert.True((r < count ? rows[r * rowValues + i] : 0) == panel[i * RowPanel.Rows + slots[r]],
                                $"paired={paired}, {count} rows, k = {k}: value {i} of row {r} ({random})");
                    }
                }
            }
        }
        Assert.Equal([0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15], Enumerable.Range(0, RowPanel.Rows).Select(r => RowPanel.Slot(r, paired: true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPanel.Pack(null, 2, 17, 1, null, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => RowPanel.Pack(null, 2, 0, 1, null, false));
    }

    [RowPanelTheory]
    [MemberData(nameof(Types))]
    public void Tile_sums_each_row_and_token_as_one_fma_chain_and_writes_nothing_else(GgmlType type)
    {
        var random = new TestRandom();
        const int rows = RowPanel.Rows, tokens = RowPanel.Tokens;
        bool paired = type == GgmlType.F16 ? F16cRowPanelTile.PairedSlots : BF16RowPanelTile.PairedSlots;
        foreach (int k in new[] { 1, 3, 64, 67, 515 })
        {
            var weights = RandomBits(random, type, rows * k);   // [row][k]
            var panel = new ushort[k * rows];
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < k; i++)
                    panel[i * rows + RowPanel.Slot(r, paired)] = weights[r * k + i];
            int xStride = k + 5, cStride = rows + 3;
            var x = random.Floats(tokens * xStride);
            var c = new float[tokens * cStride];
            c.AsSpan().Fill(float.NaN);
            fixed (ushort* p = panel)
            fixed (float* xs = x)
            fixed (float* cs = c)
            {
                if (type == GgmlType.F16)
                    F16cRowPanelTile.Tile(p, k, xs, xStride, cs, cStride);
                else
                    BF16RowPanelTile.Tile(p, k, xs, xStride, cs, cStride);
            }
            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < cStride; r++)
                {
                    float actual = c[t * cStride + r];
                    if (r >= rows)
                    {
                        Assert.True(float.IsNaN(actual), $"{type} k = {k}: the tile wrote past token {t}'s 16 results ({random})");
                        continue;
                    }
                    float expected = FmaChain(type, weights.AsSpan(r * k, k), x.AsSpan(t * xStride, k));
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                        $"{type} k = {k}, row {r}, token {t}: {actual} where the FMA chain gives {expected} ({random})");
                }
            }
        }
    }

    [RowPanelTheory]
    [MemberData(nameof(Types))]
    public void Prompt_matmul_gives_each_output_the_bits_of_one_fma_chain(GgmlType type)
    {
        // Through FloatMatMul: row panels where AVX-512 is off (token panels with it, or below 6 tokens), all summing
        // each output in k order. Odd k, so that BF16 never takes the BF16-pair tile (which rounds the activations).
        // Rows off the 16-row panel and over several tasks, a last task's partial panel; tokens below one group of 6
        // (token panels), at it, and off it, so the last group overlaps the one before.
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        var kernel = QuantKernels.Get(type);
        foreach (var (rowCount, k, tokens) in new[] { (1, 9, 6), (17, 67, 7), (203, 301, 13), (16, 1, 31), (40, 131, 64), (33, 65, 5),
                     (203, 301, 24), (17, 67, 41) })
        {
            var weights = RandomBits(random, type, rowCount * k);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            fixed (ushort* w = weights)
            fixed (float* xs = x)
            fixed (float* ys = y)
                FloatMatMul.Compute(kernel, (byte*)w, rowCount, k, xs, tokens, ys, pool);
            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < rowCount; r++)
                {
                    float expected = FmaChain(type, weights.AsSpan(r * k, k), x.AsSpan(t * k, k));
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[t * rowCount + r]),
                        $"{type} rows={rowCount} k={k} tokens={tokens}: row {r}, token {t}: {y[t * rowCount + r]} where the FMA chain gives {expected} ({random})");
                }
            }
        }
    }

    /// <summary>Σ w[i] x[i] as one FMA chain in order, the weights widened exactly.</summary>
    private static float FmaChain(GgmlType type, ReadOnlySpan<ushort> weights, ReadOnlySpan<float> x)
    {
        float sum = 0;
        for (int i = 0; i < weights.Length; i++)
            sum = MathF.FusedMultiplyAdd(Widen(type, weights[i]), x[i], sum);
        return sum;
    }

    private static float Widen(GgmlType type, ushort bits) =>
        type == GgmlType.F16 ? (float)BitConverter.UInt16BitsToHalf(bits) : BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>F16 or BF16 bits of normal-distributed values (finite; some F16 subnormal near zero).</summary>
    private static ushort[] RandomBits(TestRandom random, GgmlType type, int count) =>
        random.Floats(count).Select(value => type == GgmlType.F16 ? BitConverter.HalfToUInt16Bits((Half)value) : BFloat16.FromSingle(value)).ToArray();
}

/// <summary>Runs a row-panel theory over F16 and BF16, and skips it where neither tile can run (F16: AVX2, FMA and F16C
/// with executable pages, Linux x86-64; BF16: AVX2 and FMA), saying so.</summary>
public sealed class RowPanelTheoryAttribute : TheoryAttribute
{
    public RowPanelTheoryAttribute()
    {
        if (!F16cRowPanelTile.IsSupported || !BF16RowPanelTile.IsSupported)
            Skip = "the row-panel tiles need AVX2, FMA and F16C and executable pages (Linux x86-64)";
    }
}
