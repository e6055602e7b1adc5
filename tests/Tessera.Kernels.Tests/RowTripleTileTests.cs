using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The F16, BF16 and F32 row-triple tile (<see cref="RowTripleTile"/>, machine code: 3 rows x 4 tokens, both read in place)
/// against its scalar reference, and the matmul built on it (<see cref="RowTripleMatMul"/>) against float64, across
/// its tails: rows off the triples, k off the steps of 8, tokens off the groups of 4 (their bytes:
/// <see cref="MachineCodeTests"/>).
/// </summary>
public sealed unsafe class RowTripleTileTests
{
    public static TheoryData<GgmlType, bool> Entries => new()
    {
        { GgmlType.F16, false }, { GgmlType.F16, true }, { GgmlType.BF16, false }, { GgmlType.BF16, true }, { GgmlType.F32, false }, { GgmlType.F32, true },
    };

    public static TheoryData<GgmlType> Types => new() { GgmlType.F16, GgmlType.BF16, GgmlType.F32 };

    [RowTripleTheory]
    [MemberData(nameof(Entries))]
    public void Tile_matches_the_scalar_reference(GgmlType type, bool prefetchNext)
    {
        var random = new TestRandom();
        // One step, odd step counts, rows and tokens with slack after them (strides longer than the values read), and
        // a row stride of 0 (one row read as all three).
        foreach (var (steps, rowSlack, tokenSlack, sameRow) in new[] { (1, 0, 0, false), (3, 5, 1, false), (17, 0, 9, true), (64, 1, 0, false), (257, 33, 3, false), (5, 0, 0, true) })
        {
            int rowValues = steps * RowTripleTile.StepValues + rowSlack, tokenValues = steps * RowTripleTile.StepValues + tokenSlack;
            // Two more rows than the triple: the prefetching entry requests the next triple's rows.
            var weights = RowBytes(type, random.Floats((RowTripleTile.Rows + 2) * rowValues));
            var x = random.Floats(RowTripleTile.Tokens * tokenValues);
            // Each token's three results 5 floats apart: the two between them must keep what they held.
            const int yStride = 5;
            var got = new float[RowTripleTile.Tokens * yStride];
            var expected = new float[got.Length];
            Array.Fill(got, float.NaN);
            nint rowBytes = sameRow ? 0 : rowValues * ValueBytes(type);
            fixed (byte* w = weights)
            fixed (float* xs = x)
            fixed (float* c = got)
            fixed (float* e = expected)
            {
                RowTripleTile.Tile(type, w, rowBytes, xs, tokenValues, steps, c, yStride, prefetchNext);
                RowTripleTile.TileScalar(type, w, rowBytes, xs, tokenValues, steps, e, yStride);
            }
            for (int r = 0; r < RowTripleTile.Rows; r++)
            {
                int row = sameRow ? 0 : r;
                for (int t = 0; t < RowTripleTile.Tokens; t++)
                {
                    double magnitude = 0;
                    for (int i = 0; i < steps * RowTripleTile.StepValues; i++)
                        magnitude += Math.Abs(Weight(type, weights, row * rowValues + i) * x[t * tokenValues + i]);
                    int at = t * yStride + r;
                    Assert.True(Tolerances.Relative(got[at], expected[at], magnitude) <= Tolerances.SimdVsScalar,
                        $"{type} steps={steps} row {r} token {t}: {got[at]} vs {expected[at]} ({random})");
                }
            }
            for (int t = 0; t < RowTripleTile.Tokens; t++)
                Assert.All(got[(t * yStride + RowTripleTile.Rows)..(t * yStride + yStride)], value => Assert.True(float.IsNaN(value), $"token {t} wrote past its three results"));
        }
    }

    [RowTripleTheory]
    [MemberData(nameof(Types))]
    public void Matmul_matches_float64_on_ragged_shapes(GgmlType type)
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        // Rows below a triple, off it by one and two, and over several tasks whose last ends on one or two rows; k below
        // one step (the tile does not run), off the steps, and long; tokens at one group, off it, and at the most.
        foreach (var (rowCount, k, tokens) in new[] { (1, 9, 4), (2, 67, 5), (3, 8, 7), (4, 7, 9), (5, 515, 11), (13, 1, 6), (47, 130, 13),
                     (64, 2050, 40), (100, 33, 23), (26, 256, 8) })
        {
            var weights = new QuantizedRows(type, GgmlType.F32, k, rowCount, random);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            Compute(type, weights.Weights, rowCount, k, x, tokens, y, pool);
            weights.AssertProducts(x, tokens, y, Tolerances.VsDequantized(GgmlType.F32), $"{type} rows={rowCount} k={k} tokens={tokens} ({random})");
        }
    }

    [RowTripleTheory]
    [MemberData(nameof(Types))]
    public void A_token_gets_the_same_bits_in_any_batch_and_place(GgmlType type)
    {
        // Each (row, token) sum is reduced in the same order whichever of the tile's places it takes, and a last group
        // that overlaps the one before recomputes the same sums: any batch gives each token the bits it gets alone
        // in a batch of 4 (so a prompt's result does not depend on how it was cut into batches).
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        const int rowCount = 29, k = 203, tokens = RowTripleMatMul.MaxF16Tokens;
        var weights = new QuantizedRows(type, GgmlType.F32, k, rowCount, random);
        var x = random.Floats(tokens * k);
        var all = new float[tokens * rowCount];
        Compute(type, weights.Weights, rowCount, k, x, tokens, all, pool);
        foreach (var (first, count) in new[] { (0, 4), (3, 7), (17, 9), (30, 10) })
        {
            var part = new float[count * rowCount];
            Compute(type, weights.Weights, rowCount, k, x[(first * k)..((first + count) * k)], count, part, pool);
            for (int t = 0; t < count; t++)
            {
                for (int r = 0; r < rowCount; r++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(part[t * rowCount + r]) == BitConverter.SingleToInt32Bits(all[(first + t) * rowCount + r]),
                        $"{type} token {first + t} row {r}: {part[t * rowCount + r]} in a batch of {count}, {all[(first + t) * rowCount + r]} in one of {tokens} ({random})");
                }
            }
        }
    }

    [RowTripleTheory]
    [MemberData(nameof(Types))]
    public void Matmul_writes_only_its_outputs(GgmlType type) =>
        // 10 tokens: a last group overlapping the one before; 11 rows: three triples and two rows one at a time.
        GuardedOutputs.AssertProductWritesOnlyItsOutputs(type, GgmlType.F32, rowCount: 11, k: 70, tokens: 10,
            (w, rows, k, x, tokens, y, pool) => RowTripleMatMul.ComputeShared([new PanelTarget(QuantKernels.Get(type), w, rows, y)], k, x, tokens, pool));

    [Fact]
    public void F16_takes_7_to_40_tokens_BF16_4_to_32_and_F32_4_to_10_where_the_tile_runs_without_AVX512()
    {
        foreach (var (type, fewest, most) in new[] { (GgmlType.F16, 7, 40), (GgmlType.BF16, 4, 32), (GgmlType.F32, 4, 10) })
        {
            var kernel = QuantKernels.Get(type);
            bool runs = RowTripleTile.Supports(type) && !IsaSupport.Avx512;
            Assert.False(RowTripleMatMul.Applies(kernel, fewest - 1));
            Assert.False(RowTripleMatMul.Applies(kernel, most + 1));
            for (int tokens = fewest; tokens <= most; tokens++)
                Assert.Equal(runs, RowTripleMatMul.Applies(kernel, tokens));
        }
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K })
            Assert.False(RowTripleMatMul.Applies(QuantKernels.Get(type), 8));
        // The row pairs hand F16 over where this path starts, so that no batch size has two claimants.
        if (RowTripleTile.Supports(GgmlType.F16) && !IsaSupport.Avx512)
            Assert.Equal(RowTripleMatMul.MinF16Tokens - 1, RowPairMatMul.MaxF16Tokens);
    }

    [RowTripleTheory]
    [MemberData(nameof(Types))]
    public void MatMul_sends_batches_in_range_here(GgmlType type)
    {
        // What MatMul gives at the ends of the type's range is this path's result, bit for bit, where it applies.
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        const int rowCount = 20, k = 96;
        int[] range = type switch
        {
            GgmlType.F16 => [RowTripleMatMul.MinF16Tokens, RowTripleMatMul.MaxF16Tokens],
            GgmlType.BF16 => [RowTripleMatMul.MinBF16Tokens, RowTripleMatMul.MaxBF16Tokens],
            _ => [RowTripleMatMul.MinF32Tokens, RowTripleMatMul.MaxF32Tokens],
        };
        foreach (int tokens in range)
        {
            var weights = new QuantizedRows(type, GgmlType.F32, k, rowCount, random);
            var x = random.Floats(tokens * k);
            var viaMatMul = new float[tokens * rowCount];
            var direct = new float[tokens * rowCount];
            fixed (byte* w = weights.Weights)
                MatMul.Compute(type, w, rowCount, k, x, tokens, viaMatMul, pool);
            Compute(type, weights.Weights, rowCount, k, x, tokens, direct, pool);
            Assert.Equal(RowTripleMatMul.Applies(QuantKernels.Get(type), tokens), viaMatMul.AsSpan().SequenceEqual(direct));
        }
    }

    private static void Compute(GgmlType type, byte[] weights, int rowCount, int k, float[] x, int tokens, float[] y, KernelThreadPool pool)
    {
        fixed (byte* w = weights)
        fixed (float* xs = x)
        fixed (float* ys = y)
            RowTripleMatMul.ComputeShared([new PanelTarget(QuantKernels.Get(type), w, rowCount, ys)], k, xs, tokens, pool);
    }

    private static int ValueBytes(GgmlType type) => type == GgmlType.F32 ? sizeof(float) : sizeof(ushort);

    /// <summary>Values stored as <paramref name="type"/>, one row after another.</summary>
    private static byte[] RowBytes(GgmlType type, float[] values)
    {
        var bytes = new byte[values.Length * ValueBytes(type)];
        for (int i = 0; i < values.Length; i++)
        {
            if (type == GgmlType.F32)
                BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(float)), values[i]);
            else
                BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(ushort)), type == GgmlType.BF16 ? Tensors.Quants.BF16.FromSingle(values[i]) : BitConverter.HalfToUInt16Bits((Half)values[i]));
        }
        return bytes;
    }

    private static float Weight(GgmlType type, byte[] weights, int index)
    {
        fixed (byte* w = weights)
            return RowTripleTile.Weight(type, w, index);
    }
}

/// <summary>Runs only where the row-triple tile runs for every type (AVX2, FMA, F16C, executable pages), and says so
/// otherwise.</summary>
public sealed class RowTripleTheoryAttribute : TheoryAttribute
{
    public RowTripleTheoryAttribute()
    {
        if (!RowTripleTile.Supports(GgmlType.F16) || !RowTripleTile.Supports(GgmlType.BF16) || !RowTripleTile.Supports(GgmlType.F32))
            Skip = "the row-triple tile needs AVX2, FMA and F16C and executable pages (Linux x86-64)";
    }
}
