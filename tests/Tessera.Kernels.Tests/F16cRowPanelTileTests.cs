using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The F16 row-panel tile of prompt matmuls on CPUs without AVX-512 (<see cref="F16cRowPanelTile"/>) and its packing,
/// against scalar references: each result is the FMA chain over k in order, so the references are exact, not within a
/// tolerance. CI runs these in both of its kernel passes wherever the CPU has F16C.
/// </summary>
public sealed unsafe class F16cRowPanelTileTests
{
    [F16cRowPanelFact]
    public void Packing_puts_each_value_of_k_as_sixteen_rows_and_zeros_past_the_last()
    {
        var random = new TestRandom();
        // Row counts below, at and past one 8 x 8 transpose; k below, at and off its multiples of 8; rows further apart
        // than k (a slice of a wider matrix).
        foreach (int count in new[] { 1, 5, 8, 9, 15, 16 })
        {
            foreach (int k in new[] { 1, 7, 8, 9, 67 })
            {
                int rowHalves = k + 3;
                var rows = RandomHalves(random, count * rowHalves);
                var panel = new ushort[k * F16cRowPanelTile.Rows];
                panel.AsSpan().Fill(0xffff);
                fixed (ushort* source = rows)
                fixed (ushort* destination = panel)
                    F16cRowPanelTile.Pack((byte*)source, rowHalves * sizeof(ushort), count, k, destination);
                for (int i = 0; i < k; i++)
                {
                    for (int r = 0; r < F16cRowPanelTile.Rows; r++)
                        Assert.True((r < count ? rows[r * rowHalves + i] : 0) == panel[i * F16cRowPanelTile.Rows + r], $"{count} rows, k = {k}: value {i} of row {r} ({random})");
                }
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => F16cRowPanelTile.Pack(null, 2, 17, 1, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => F16cRowPanelTile.Pack(null, 2, 0, 1, null));
    }

    [F16cRowPanelFact]
    public void Tile_sums_each_row_and_token_as_one_fma_chain_and_writes_nothing_else()
    {
        var random = new TestRandom();
        const int rows = F16cRowPanelTile.Rows, tokens = F16cRowPanelTile.Tokens;
        foreach (int k in new[] { 1, 3, 64, 67, 515 })
        {
            var weights = RandomHalves(random, rows * k);   // [row][k]
            var panel = new ushort[k * rows];
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < k; i++)
                    panel[i * rows + r] = weights[r * k + i];
            int xStride = k + 5, cStride = rows + 3;
            var x = random.Floats(tokens * xStride);
            var c = new float[tokens * cStride];
            c.AsSpan().Fill(float.NaN);
            fixed (ushort* p = panel)
            fixed (float* xs = x)
            fixed (float* cs = c)
                F16cRowPanelTile.Tile(p, k, xs, xStride, cs, cStride);
            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < cStride; r++)
                {
                    float actual = c[t * cStride + r];
                    if (r >= rows)
                    {
                        Assert.True(float.IsNaN(actual), $"k = {k}: the tile wrote past token {t}'s 16 results ({random})");
                        continue;
                    }
                    float expected = 0;
                    for (int i = 0; i < k; i++)
                        expected = MathF.FusedMultiplyAdd((float)BitConverter.UInt16BitsToHalf(weights[r * k + i]), x[t * xStride + i], expected);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                        $"k = {k}, row {r}, token {t}: {actual} where the FMA chain gives {expected} ({random})");
                }
            }
        }
    }

    [F16cRowPanelFact]
    public void F16_prompt_matmul_gives_each_output_the_bits_of_one_fma_chain()
    {
        // Through FloatMatMul: row panels where AVX-512 is off (token panels with it, or below 6 tokens), both summing
        // each output in k order. Rows off the 16-row panel and over several tasks, a last task's partial panel; tokens
        // below one group of 6 (token panels), at it, and off it, so the last group overlaps the one before.
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        var kernel = QuantKernels.Get(GgmlType.F16);
        foreach (var (rowCount, k, tokens) in new[] { (1, 9, 6), (17, 67, 7), (203, 301, 13), (16, 1, 31), (40, 130, 64), (33, 64, 5) })
        {
            var weights = RandomHalves(random, rowCount * k);
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
                    float expected = 0;
                    for (int i = 0; i < k; i++)
                        expected = MathF.FusedMultiplyAdd((float)BitConverter.UInt16BitsToHalf(weights[r * k + i]), x[t * k + i], expected);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[t * rowCount + r]),
                        $"rows={rowCount} k={k} tokens={tokens}: row {r}, token {t}: {y[t * rowCount + r]} where the FMA chain gives {expected} ({random})");
                }
            }
        }
    }

    /// <summary>Halves of normal-distributed values (finite, some subnormal near zero).</summary>
    private static ushort[] RandomHalves(TestRandom random, int count) =>
        random.Floats(count).Select(value => BitConverter.HalfToUInt16Bits((Half)value)).ToArray();
}

/// <summary>Runs only where the F16 row-panel tile can run (AVX2, FMA and F16C, Linux x86-64), and says so otherwise.</summary>
public sealed class F16cRowPanelFactAttribute : FactAttribute
{
    public F16cRowPanelFactAttribute()
    {
        if (!F16cRowPanelTile.IsSupported)
            Skip = "the F16 row-panel tile needs AVX2, FMA and F16C and executable pages (Linux x86-64)";
    }
}
