using Tessera.Kernels.Elementwise;

namespace Tessera.Kernels.Tests;

public sealed class ElementwiseTests
{
    private static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> got, string what, TestRandom random)
    {
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(got[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            Assert.True(error <= Tolerances.Elementwise, $"{what} element {i}: {got[i]} vs {expected[i]} ({random})");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(2049)]
    public void RmsNorm_matches_float64(int length)
    {
        var random = new TestRandom();
        var x = random.Floats(length);
        var weight = random.Floats(length);
        const float epsilon = 1e-5f;
        double meanSquare = x.Sum(v => (double)v * v) / length;
        double scale = 1 / Math.Sqrt(meanSquare + epsilon);
        var expected = x.Select((v, i) => v * scale * weight[i]).ToArray();
        var output = new float[length];
        RmsNorm.Apply(x, weight, epsilon, output);
        AssertClose(expected, output, "rmsnorm", random);
        RmsNorm.Apply(x, weight, epsilon, x);   // in place
        AssertClose(expected, x, "rmsnorm in place", random);
    }

    [Fact]
    public void RmsNorm_rows_use_the_same_weight()
    {
        var random = new TestRandom();
        var x = random.Floats(3 * 16);
        var weight = random.Floats(16);
        var rows = new float[x.Length];
        RmsNorm.ApplyRows(x, weight, 1e-6f, rows);
        for (int r = 0; r < 3; r++)
        {
            var one = new float[16];
            RmsNorm.Apply(x.AsSpan(r * 16, 16), weight, 1e-6f, one);
            Assert.True(one.AsSpan().SequenceEqual(rows.AsSpan(r * 16, 16)));
        }
        Assert.Throws<ArgumentException>(() => RmsNorm.ApplyRows(new float[17], weight, 1e-6f, new float[17]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(64)]
    [InlineData(2051)]
    public void Residual_add_fused_with_the_norm_is_the_add_then_the_norm_bit_for_bit(int width)
    {
        var random = new TestRandom();
        const int rows = 3;
        var x = random.Floats(rows * width);
        var residual = random.Floats(rows * width);
        var weight = random.Floats(width);
        var added = x.Zip(residual, (a, b) => a + b).ToArray();
        var expected = new float[x.Length];
        RmsNorm.ApplyRows(added, weight, 1e-5f, expected);
        var output = new float[x.Length];
        RmsNorm.AddApplyRows(x, residual, weight, 1e-5f, output);
        Assert.True(added.AsSpan().SequenceEqual(x), $"x after the fused add ({random})");
        Assert.True(expected.AsSpan().SequenceEqual(output), $"fused norm against the add then the norm ({random})");
        // And against float64 for the first row, through the sum the fused pass took.
        double meanSquare = added.Take(width).Sum(v => (double)v * v) / width;
        double scale = 1 / Math.Sqrt(meanSquare + 1e-5);
        AssertClose(added.Take(width).Select((v, i) => v * scale * weight[i]).ToArray(), output.AsSpan(0, width), "fused rmsnorm", random);
        Assert.Throws<ArgumentException>(() => RmsNorm.AddApplyRows(new float[width], new float[width + 1], weight, 1e-5f, new float[width]));
    }

    [Theory]
    [InlineData(RopeStyle.Normal, 0)]
    [InlineData(RopeStyle.Neox, 0)]
    [InlineData(RopeStyle.Normal, 32)]
    [InlineData(RopeStyle.Neox, 16)]
    public void Rope_rotates_pairs_like_the_formula(RopeStyle style, int rotaryDims)
    {
        var random = new TestRandom();
        const int heads = 3, headDim = 64;
        var options = new RopeOptions(style, 500000f, 0.5f, rotaryDims);
        int rotary = rotaryDims == 0 ? headDim : rotaryDims;
        // Positions in the shared angle table, at its first growth, and past its largest size (computed on the spot).
        foreach (int position in new[] { 0, 1, 17, 1023, 1024, 4095, RopeAngles.MaxPositions - 1, RopeAngles.MaxPositions, 100_000 })
        {
            var x = random.Floats(heads * headDim);
            var expected = x.Select(v => (double)v).ToArray();
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < rotary / 2; i++)
                {
                    double theta = position * 0.5 * Math.Pow(500000.0, -2.0 * i / rotary);
                    int a = h * headDim + (style == RopeStyle.Normal ? 2 * i : i);
                    int b = style == RopeStyle.Normal ? a + 1 : a + rotary / 2;
                    expected[a] = x[a] * Math.Cos(theta) - x[b] * Math.Sin(theta);
                    expected[b] = x[a] * Math.Sin(theta) + x[b] * Math.Cos(theta);
                }
            }
            Rope.Apply(x, heads, headDim, position, options);
            AssertClose(expected, x, $"rope {style} position {position}", random);
        }
    }

    [Fact]
    public void Rope_from_the_angle_table_equals_rope_computed_on_the_spot()
    {
        // Angles served from the shared table equal those computed on the spot, to the bit; positions past the table
        // and non-finite settings are not cached.
        var random = new TestRandom();
        var options = new RopeOptions(RopeStyle.Neox, 10000f, 1f, 0);
        const int pairs = 32;
        foreach (int position in new[] { 3, 700, 2048, 7000 })
        {
            var table = RopeAngles.For(options, pairs, position)!;
            var cos = new float[pairs];
            var sin = new float[pairs];
            RopeAngles.Compute(options, pairs, position, cos, sin);
            Assert.True(table.Cos(position).SequenceEqual(cos) && table.Sin(position).SequenceEqual(sin), $"position {position} ({random})");
        }
        Assert.Null(RopeAngles.For(options, pairs, RopeAngles.MaxPositions));
        Assert.Null(RopeAngles.For(options with { FrequencyBase = float.NaN }, pairs, 5));
    }

    [Fact]
    public void Rope_rejects_bad_shapes()
    {
        var options = new RopeOptions(RopeStyle.Normal);
        Assert.Throws<ArgumentException>(() => Rope.Apply(new float[10], 2, 4, 0, options));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rope.Apply(new float[8], 2, 4, 0, options with { RotaryDimensions = 3 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Rope.Apply(new float[8], 2, 4, -1, options));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(40)]
    [InlineData(5632)]
    public void SwiGlu_matches_float64(int length)
    {
        var random = new TestRandom();
        var gate = random.Floats(length, 3f);
        var up = random.Floats(length);
        var expected = gate.Select((g, i) => g / (1 + Math.Exp(-(double)g)) * up[i]).ToArray();
        var output = new float[length];
        SwiGlu.Apply(gate, up, output);
        AssertClose(expected, output, "swiglu", random);
        SwiGlu.Apply(gate, up, gate);   // output aliasing gate
        AssertClose(expected, gate, "swiglu in place", random);
    }

    /// <summary>SwiGLU's exponential, at both widths: within 2 ulp (relative 2.4e-7) of the double-precision one where
    /// e^x is a normal float, and the same bits from both widths.</summary>
    [Fact]
    public void Fast_exp_is_within_two_ulp_at_both_widths()
    {
        var random = new TestRandom();
        var x = random.Floats(4096, 87f).Select(v => Math.Clamp(v, -87.3f, 88f)).Concat([0f, -0f, 1e-8f, -87.3f, 88f, 0.34657359f, -0.34657359f]).ToArray();
        x = x.Concat(new float[16 - x.Length % 16]).ToArray();
        for (int i = 0; i < x.Length; i += 16)
        {
            var wide = FastExp.Exp(System.Runtime.Intrinsics.Vector512.Create(x.AsSpan(i, 16)));
            for (int half = 0; half < 2; half++)
            {
                var narrow = FastExp.Exp(System.Runtime.Intrinsics.Vector256.Create(x.AsSpan(i + 8 * half, 8)));
                for (int j = 0; j < 8; j++)
                {
                    float value = x[i + 8 * half + j];
                    double expected = Math.Exp(value);
                    Assert.True(Math.Abs(narrow[j] - expected) <= 2.4e-7 * expected, $"e^{value:R}: {narrow[j]:R} vs {expected:R} ({random})");
                    Assert.Equal(narrow[j], wide[8 * half + j]);
                }
            }
        }
        // Beyond the range the input is clamped: no infinity, no NaN, and the tiny end stays tiny.
        Assert.True(float.IsFinite(FastExp.Exp(System.Runtime.Intrinsics.Vector256.Create(1000f))[0]));
        Assert.True(FastExp.Exp(System.Runtime.Intrinsics.Vector256.Create(-1000f))[0] < 1e-37f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(32000)]
    public void Softmax_matches_float64_and_survives_large_values(int length)
    {
        var random = new TestRandom();
        var x = random.Floats(length, 30f);
        x[0] = 1000f;   // would overflow exp without subtracting the max
        double max = x.Max();
        var exps = x.Select(v => Math.Exp(v - max)).ToArray();
        double sum = exps.Sum();
        var expected = exps.Select(e => e / sum).ToArray();
        Softmax.Apply(x);
        AssertClose(expected, x, "softmax", random);
        Assert.Throws<ArgumentException>(() => Softmax.Apply(new[] { float.NegativeInfinity }));
    }
}
