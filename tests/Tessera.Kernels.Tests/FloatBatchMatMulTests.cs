using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The AVX-512 small-batch float matmul (<see cref="FloatBatchMatMul"/>: two rows against up to 8 tokens, k in
/// L1-sized ranges) against float64 references, and which batches take it.
/// </summary>
public sealed unsafe class FloatBatchMatMulTests
{
    public static TheoryData<GgmlType> Types => new() { GgmlType.F16, GgmlType.BF16 };

    [Avx512Theory]
    [MemberData(nameof(Types))]
    public void Small_batches_match_float64_on_ragged_shapes(GgmlType type)
    {
        foreach (bool managed in new[] { false, true })
            SmallBatchesMatchFloat64(type, managed);
    }

    /// <summary>Through <see cref="FloatBatchMatMul.Compute"/> (the machine-code row pairs where they run), or through
    /// its managed kernel, which only machines without them would otherwise reach.</summary>
    private static void SmallBatchesMatchFloat64(GgmlType type, bool managed)
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        // Tokens below, at and past one group of 8 (the last 1-4 through the four-token form, 5-7 through the eight
        // with the rest unused); k off the 16-value slices, and long enough to be cut into several L1 ranges; an odd
        // row count, so the tasks end on a lone row.
        foreach (var (rowCount, k, tokens) in new[] { (13, 67, 1), (13, 67, 3), (9, 16, 4), (33, 301, 5), (17, 2050, 7), (13, 4099, 8),
            (21, 515, 9), (5, 130, 12), (13, 1030, 13), (7, 3001, 16) })
        {
            var weights = new QuantizedRows(type, GgmlType.F32, k, rowCount, random);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            fixed (byte* w = weights.Weights)
            fixed (float* xs = x)
            fixed (float* ys = y)
            {
                if (managed)
                    FloatBatchMatMul.ComputeManaged(type, w, rowCount, k, xs, tokens, ys, pool);
                else
                    FloatBatchMatMul.Compute(type, w, rowCount, k, xs, tokens, ys, pool);
            }
            // BF16 where vdpbf16ps runs goes to RowPairMatMul, which rounds the activations to BF16.
            double tolerance = managed ? Tolerances.VsDequantized(GgmlType.F32) : Tolerances.ForMatMul(type, k, tokens);
            weights.AssertProducts(x, tokens, y, tolerance, $"{type}{(managed ? " managed" : "")} rows={rowCount} k={k} tokens={tokens} ({random})");
        }
    }

    [Avx512Theory]
    [MemberData(nameof(Types))]
    // Six tokens run as a group of eight with two unused: nothing of theirs may reach past the outputs.
    public void Small_batches_write_only_their_outputs(GgmlType type)
    {
        GuardedOutputs.AssertProductWritesOnlyItsOutputs(type, GgmlType.F32, rowCount: 11, k: 40, tokens: 6,
            (w, rows, k, x, tokens, y, pool) => FloatBatchMatMul.Compute(type, w, rows, k, x, tokens, y, pool));
        GuardedOutputs.AssertProductWritesOnlyItsOutputs(type, GgmlType.F32, rowCount: 11, k: 40, tokens: 6,
            (w, rows, k, x, tokens, y, pool) => FloatBatchMatMul.ComputeManaged(type, w, rows, k, x, tokens, y, pool));
    }

    [Fact]
    public void F16_and_BF16_batches_of_7_take_it_where_a_kernel_runs_and_F32_never()
    {
        // F16 also takes the row pairs' 256-bit form without AVX-512, except where the row triples take 7 tokens; the
        // managed kernel and BF16 need AVX-512.
        var f16 = QuantKernels.Get(GgmlType.F16);
        Assert.Equal(IsaSupport.Avx512 || (RowPairTile.Supports(GgmlType.F16) && !RowTripleMatMul.Applies(f16, 7)), FloatBatchMatMul.Applies(f16, 7));
        Assert.Equal(IsaSupport.Avx512, FloatBatchMatMul.Applies(QuantKernels.Get(GgmlType.BF16), 7));
        Assert.False(FloatBatchMatMul.Applies(QuantKernels.Get(GgmlType.F32), 7));
        // Where the row-pair machine code runs, F16 from 2 to 24 tokens (to 6 beside the row triples) and BF16 from 2 to
        // 16; else F16 at 7-10, BF16 at 6-7.
        foreach (var (type, most) in new[] { (GgmlType.F16, RowPairMatMul.MaxF16Tokens), (GgmlType.BF16, RowPairMatMul.MaxBF16Tokens) })
        {
            var kernel = QuantKernels.Get(type);
            Assert.Equal(RowPairTile.Supports(type), FloatBatchMatMul.Applies(kernel, 2));
            Assert.Equal(RowPairTile.Supports(type), FloatBatchMatMul.Applies(kernel, most));
            Assert.False(FloatBatchMatMul.Applies(kernel, most + 1));
        }
    }
}

/// <summary>Runs only where the CPU and the runtime have AVX-512 (F and BW), and says so otherwise.</summary>
public sealed class Avx512TheoryAttribute : TheoryAttribute
{
    public Avx512TheoryAttribute()
    {
        if (!IsaSupport.Avx512)
            Skip = "AVX-512 does not run here (the CPU lacks it or the runtime has it off)";
    }
}

/// <summary>The fact form of <see cref="Avx512TheoryAttribute"/>.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!IsaSupport.Avx512)
            Skip = new Avx512TheoryAttribute().Skip;
    }
}
