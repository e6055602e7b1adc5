using System.Runtime.Intrinsics;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The packed float matmul (<see cref="FloatMatMul"/>: token panels, 8-row tiles, weights converted to F32 once per
/// task) and the half/bfloat16 conversions under it, against float64 references. CI runs these under the AVX-512 and
/// the AVX2-only dispatch (panels of 32 tokens, or 16 and 24).
/// </summary>
public sealed unsafe class FloatMatMulTests
{
    public static TheoryData<GgmlType> FloatTypes => new() { GgmlType.F32, GgmlType.F16, GgmlType.BF16 };

    /// <summary>Without AVX2 (skipped here) MatMul keeps the per-row kernels, which MatrixKernelTests cover.</summary>
    [Avx2Theory]
    [MemberData(nameof(FloatTypes))]
    public void Panel_matmul_matches_float64_on_ragged_shapes(GgmlType type)
    {
        Assert.True(FloatPanelKernel.IsSupported);
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        // Rows off the 8-row tile, tokens off the panel width (16, 24 or 32) and below, at and above it; odd k and k
        // off the packing's 8 x 8 transposes. AVX2-only, the tokens take panels of 24 and 16: 8 one of 16, 33 one of
        // each, 70 three of 24, 17 one of 24, 31 two of 16, 64 two of 24 and one of 16, 150 five of 24 and two of 16.
        // With AVX-512, panels of 32 and 16: 8 one of 16, 33 one of each, 70 two of 32 and one of 16, the rest of 32.
        foreach (var (rowCount, k, tokens, wide, narrow, wide512, narrow512) in new[] { (13, 67, 8, 0, 1, 0, 1), (203, 301, 33, 1, 1, 1, 1),
            (8, 1, 70, 3, 0, 2, 1), (65, 128, 17, 1, 0, 1, 0), (1, 9, 31, 0, 2, 1, 0), (40, 515, 64, 2, 1, 2, 0), (9, 200, 150, 5, 2, 5, 0) })
        {
            Assert.Equal(IsaSupport.Avx512 ? (wide512, narrow512) : (wide, narrow), FloatPanelKernel.PanelsFor(tokens));
            // Called directly: MatMul sends BF16 batches below 32 tokens to its tile where no AVX512-BF16 runs.
            var kernel = QuantKernels.Get(type);
            bool convertedBf16 = type == GgmlType.BF16 && !BF16PairTile.IsSupported;
            Assert.Equal(!convertedBf16 || tokens >= FloatMatMul.ConvertedBF16MinTokens, FloatMatMul.Applies(kernel, tokens));
            var weights = new QuantizedRows(type, GgmlType.F32, k, rowCount, random);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            // BF16 on a CPU with AVX512-BF16 rounds the activations to BF16 (even k: the odd ones keep float panels).
            double tolerance = FloatMatMul.TakesPairTile(kernel, k) ? Tolerances.Bfloat16Activations : Tolerances.VsDequantized(GgmlType.F32);
            fixed (byte* w = weights.Weights)
            fixed (float* xs = x)
            fixed (float* ys = y)
                FloatMatMul.Compute(kernel, w, rowCount, k, xs, tokens, ys, pool);
            weights.AssertProducts(x, tokens, y, tolerance, $"{type} rows={rowCount} k={k} tokens={tokens} ({random})");
        }
    }

    [Fact]
    public void Panels_cover_every_token_and_none_is_left_all_padding()
    {
        int wideWidth = FloatPanelKernel.WideWidth, narrowWidth = FloatPanelKernel.NarrowWidth;
        for (int tokens = 1; tokens <= 600; tokens++)
        {
            var (wide, narrow) = FloatPanelKernel.PanelsFor(tokens);
            int covered = wide * wideWidth + narrow * narrowWidth;
            Assert.True(covered >= tokens, $"{tokens} tokens: {wide} x {wideWidth} + {narrow} x {narrowWidth}");
            Assert.InRange(narrow, 0, 2);
            if (wide > 0)
                Assert.True(covered - wideWidth < tokens, $"{tokens} tokens: a {wideWidth}-token panel holds only padding");
            if (narrow > 0)
                Assert.True(covered - narrowWidth < tokens, $"{tokens} tokens: a {narrowWidth}-token panel holds only padding");
        }
        // A prompt of 512 fills its panels exactly (AVX2: 20 x 24 + 2 x 16; AVX-512: 16 x 32); 16 tokens take one
        // narrow panel on both.
        Assert.Equal(IsaSupport.Avx512 ? (16, 0) : (20, 2), FloatPanelKernel.PanelsFor(512));
        Assert.Equal((0, 1), FloatPanelKernel.PanelsFor(16));
    }

    [Avx2Theory]
    [MemberData(nameof(FloatTypes))]
    public void Panel_matmul_writes_only_its_outputs(GgmlType type)
    {
        // The padding rows and tokens of the last tiles must not reach past the outputs.
        GuardedOutputs.AssertProductWritesOnlyItsOutputs(type, GgmlType.F32, rowCount: 11, k: 40, tokens: 19,
            (w, rows, k, x, tokens, y, pool) => FloatMatMul.Compute(QuantKernels.Get(type), w, rows, k, x, tokens, y, pool));
    }

    [Fact]
    public void Every_half_converts_exactly_on_every_vector_path()
    {
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++)
            halves[i] = (ushort)i;
        var expected = halves.Select(h => (float)BitConverter.UInt16BitsToHalf(h)).ToArray();
        // The bulk forms with a ragged tail (through the scalar form): F16C where it runs, and the vector forms.
        var bulk = new float[halves.Length];
        var vectors = new float[halves.Length];
        fixed (ushort* source = halves)
        fixed (float* destination = bulk)
        fixed (float* vectorDestination = vectors)
        {
            HalfBits.ToSingle(source, destination, halves.Length - 5);
            HalfBits.ToSingleVectors(source, vectorDestination, halves.Length - 5);
        }
        var wide = halves.Select(h => (uint)h).ToArray();
        var v128 = new float[halves.Length];
        var v256 = new float[halves.Length];
        var v512 = new float[halves.Length];
        for (int i = 0; i < halves.Length; i += 16)
        {
            HalfBits.ToSingle(Vector512.Create(wide.AsSpan(i, 16))).CopyTo(v512, i);
            HalfBits.ToSingle(Vector256.Create(wide.AsSpan(i, 8))).CopyTo(v256, i);
            HalfBits.ToSingle(Vector256.Create(wide.AsSpan(i + 8, 8))).CopyTo(v256, i + 8);
            for (int j = 0; j < 16; j += 4)
                HalfBits.ToSingle(Vector128.Create(wide.AsSpan(i + j, 4))).CopyTo(v128, i + j);
        }
        for (int i = 0; i < halves.Length; i++)
        {
            var paths = new[] { ("scalar", HalfBits.ToSingle(halves[i])), ("128", v128[i]), ("256", v256[i]), ("512", v512[i]), ("bulk", i < halves.Length - 5 ? bulk[i] : expected[i]),
                ("bulk vectors", i < halves.Length - 5 ? vectors[i] : expected[i]) };
            foreach (var (path, got) in paths)
            {
                // Bitwise, except that any NaN is a NaN (payloads are kept, but the framework may quiet them).
                bool same = float.IsNaN(expected[i]) ? float.IsNaN(got) : BitConverter.SingleToUInt32Bits(got) == BitConverter.SingleToUInt32Bits(expected[i]);
                Assert.True(same, $"half 0x{halves[i]:X4} on the {path} path: {got} vs {expected[i]}");
            }
        }
    }

    [Fact]
    public void Short_runs_convert_exactly_through_every_tail()
    {
        // Runs of 1..47 halves (a KV row of an 8-wide head is 8): each length ends in a different mix of the 32-, 16-,
        // 8-wide and scalar steps; specials sit among finite values so the checked steps take their slow form too.
        var random = new TestRandom();
        var halves = new ushort[47];
        var got = new float[47];
        for (int count = 1; count <= halves.Length; count++)
        {
            for (int trial = 0; trial < 20; trial++)
            {
                for (int i = 0; i < count; i++)
                    halves[i] = (ushort)random.Next(0, 65536);
                if (trial % 2 == 1)
                    halves[random.Next(0, count)] = (ushort)(trial % 4 == 1 ? 0x7C00 : 0xFE01);   // +Inf, a NaN
                Array.Fill(got, -1f);
                fixed (ushort* source = halves)
                fixed (float* destination = got)
                    HalfBits.ToSingle(source, destination, count);
                for (int i = 0; i < count; i++)
                {
                    float expected = (float)BitConverter.UInt16BitsToHalf(halves[i]);
                    bool same = float.IsNaN(expected) ? float.IsNaN(got[i]) : BitConverter.SingleToUInt32Bits(got[i]) == BitConverter.SingleToUInt32Bits(expected);
                    Assert.True(same, $"count {count}, half {i} (0x{halves[i]:X4}): {got[i]} vs {expected}");
                }
                Assert.All(got[count..], value => Assert.Equal(-1f, value));
            }
        }
    }

    [Fact]
    public void Bfloat16_runs_convert_to_their_floats()
    {
        var random = new TestRandom();
        // 997: the 32-value steps and a scalar tail; 45: one 32-value step, one 8-value step and a tail.
        foreach (int length in new[] { 1000, 48 })
        {
            var values = Enumerable.Range(0, length).Select(_ => (ushort)random.Next(0, 65536)).ToArray();
            var converted = new float[values.Length];
            fixed (ushort* source = values)
            fixed (float* destination = converted)
                HalfBits.BFloat16ToSingle(source, destination, values.Length - 3);
            for (int i = 0; i < values.Length - 3; i++)
                Assert.Equal((uint)values[i] << 16, BitConverter.SingleToUInt32Bits(converted[i]));
            Assert.All(converted[^3..], value => Assert.Equal(0f, value));
        }
    }
}
