using Tessera.Kernels.Quants;
using Tessera.Tensors;
using Xunit.Abstractions;

namespace Tessera.Kernels.Tests;

public sealed unsafe class DotKernelTests(ITestOutputHelper output)
{
    public static TheoryData<GgmlType> Types => KernelPaths.Types;

    /// <summary>Row lengths: every block count 1..16 (every tail of the 2- and 4-block unrolled loops) plus the
    /// TinyLlama row lengths; for float types every length 1..40 (all vector tails) plus large ones.</summary>
    private static IEnumerable<int> Lengths(GgmlType type)
    {
        int block = QuantKernels.Get(type).BlockSize;
        if (block == 1)
            return Enumerable.Range(1, 40).Concat([255, 2048, 5632]);
        return Enumerable.Range(1, 16).Select(b => b * block).Concat([2048, 5632]);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_simd_path_matches_the_scalar_reference(GgmlType type)
    {
        var random = new TestRandom();
        var kernel = QuantKernels.Get(type);
        var paths = KernelPaths.For(type);
        Assert.Equal(Isa.Scalar, paths[0].Isa);
        foreach (var path in paths.Where(p => !p.IsSupported))
            output.WriteLine($"{type} {path.Isa}: SKIPPED, this CPU lacks it");
        var simd = paths.Skip(1).Where(p => p.IsSupported).ToArray();
        Assert.True(simd.Any(p => p.Isa is Isa.Avx2 or Isa.Vector128),
            $"{type}: neither the AVX2 nor the Vector128 path could run, so no SIMD path was tested");
        output.WriteLine($"{type}: testing {string.Join(", ", simd.Select(p => p.Isa))} ({random})");

        foreach (int k in Lengths(type))
        {
            var rows = new QuantizedRows(type, kernel.ActivationType, k, 1, random);
            var (activation, values) = rows.Activation(random.Floats(k));
            var (_, magnitude) = rows.Reference(0, values);
            fixed (byte* w = rows.Weights)
            fixed (byte* a = activation)
            {
                float scalar = paths[0].Dot(w, a, k);
                foreach (var path in simd)
                {
                    float got = path.Dot(w, a, k);
                    double error = Tolerances.Relative(got, scalar, magnitude);
                    Assert.True(error <= Tolerances.SimdVsScalar,
                        $"{type} {path.Isa} k={k}: {got} vs scalar {scalar}, relative error {error:E2} ({random})");
                }
            }
        }
    }

    /// <summary>The F16 SIMD dots take a three-operation conversion for blocks without Inf/NaN: rows with an Inf, a
    /// NaN, subnormals and the largest finite half, anywhere in a row (any block, any lane, the tails), must give what
    /// the scalar reference gives.</summary>
    [Fact]
    public void F16_paths_keep_inf_nan_and_subnormals_in_every_block()
    {
        var random = new TestRandom();
        var paths = KernelPaths.For(GgmlType.F16);
        const int k = 200;
        var x = Enumerable.Range(0, k).Select(_ => 0.5f + random.Next(0, 100) / 100f).ToArray();   // positive: Inf stays Inf
        foreach (ushort special in new ushort[] { 0x7C00, 0xFC00, 0x7E01, 0x0001, 0x83FF, 0x7BFF, 0xFBFF })
        {
            for (int at = 0; at < k; at += 1 + random.Next(0, 13))
            {
                var halves = Enumerable.Range(0, k).Select(_ => BitConverter.HalfToUInt16Bits((Half)(random.Normal() * 0.1))).ToArray();
                halves[at] = special;
                fixed (ushort* w = halves)
                fixed (float* a = x)
                {
                    float scalar = paths[0].Dot((byte*)w, (byte*)a, k);
                    foreach (var path in paths.Skip(1).Where(p => p.IsSupported))
                    {
                        float got = path.Dot((byte*)w, (byte*)a, k);
                        bool same = float.IsNaN(scalar) ? float.IsNaN(got)
                            : float.IsInfinity(scalar) ? got == scalar
                            : Math.Abs(got - scalar) <= 1e-4 * (1 + Math.Abs(scalar));
                        Assert.True(same, $"F16 {path.Isa}: half 0x{special:X4} at {at}: {got} vs scalar {scalar} ({random})");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Scalar_reference_equals_float64_dot_of_dequantized_rows(GgmlType type)
    {
        var random = new TestRandom();
        var kernel = QuantKernels.Get(type);
        foreach (int k in Lengths(type))
        {
            var rows = new QuantizedRows(type, kernel.ActivationType, k, 1, random);
            var (activation, values) = rows.Activation(random.Floats(k));
            var (expected, magnitude) = rows.Reference(0, values);
            fixed (byte* w = rows.Weights)
            fixed (byte* a = activation)
            {
                float got = KernelPaths.For(type)[0].Dot(w, a, k);
                double error = Tolerances.Relative(got, expected, magnitude);
                Assert.True(error <= Tolerances.VsDequantized(kernel.ActivationType), $"{type} scalar k={k}: {got} vs {expected}, relative error {error:E2} ({random})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Four_token_micro_kernel_matches_single_dots(GgmlType type)
    {
        var random = new TestRandom();
        var kernel = QuantKernels.Get(type);
        if (kernel.Dot4 == null)
        {
            output.WriteLine($"{type}: no four-token micro-kernel; the matmul uses the single dot");
            return;
        }
        foreach (int k in Lengths(type))
        {
            var rows = new QuantizedRows(type, kernel.ActivationType, k, 1, random);
            int stride = (int)kernel.ActivationRowBytes(k);
            var activations = new byte[4 * stride];
            var magnitudes = new double[4];
            for (int t = 0; t < 4; t++)
            {
                var (bytes, values) = rows.Activation(random.Floats(k));
                bytes.CopyTo(activations, t * stride);
                magnitudes[t] = rows.Reference(0, values).Magnitude;
            }
            var results = new float[4];
            fixed (byte* w = rows.Weights)
            fixed (byte* a = activations)
            fixed (float* r = results)
            {
                kernel.Dot4(w, a, stride, k, r);
                for (int t = 0; t < 4; t++)
                {
                    float single = kernel.Dot(w, a + t * stride, k);
                    double error = Tolerances.Relative(results[t], single, magnitudes[t]);
                    Assert.True(error <= Tolerances.SimdVsScalar, $"{type} Dot4 token {t} k={k}: {results[t]} vs {single} ({random})");
                }
            }
        }
    }

    /// <summary>The two-, three- and four-token dots of Q8_0 and the K-quants (tokens the matmul meets row by row, on
    /// AVX2) decode each block once for all their tokens (Q8_0's magnitudes and scale, the K-quants' scales and levels)
    /// and keep each token's sums as the single dot does: the same bits, with the activation rows a stride apart wider
    /// than a row, odd block counts included.</summary>
    [Avx2Theory]
    [InlineData(GgmlType.Q8_0, 2)]
    [InlineData(GgmlType.Q8_0, 3)]
    [InlineData(GgmlType.Q8_0, 4)]
    [InlineData(GgmlType.Q2_K, 2)]
    [InlineData(GgmlType.Q2_K, 3)]
    [InlineData(GgmlType.Q2_K, 4)]
    [InlineData(GgmlType.Q3_K, 2)]
    [InlineData(GgmlType.Q3_K, 3)]
    [InlineData(GgmlType.Q3_K, 4)]
    [InlineData(GgmlType.Q4_K, 2)]
    [InlineData(GgmlType.Q4_K, 3)]
    [InlineData(GgmlType.Q4_K, 4)]
    [InlineData(GgmlType.Q5_K, 2)]
    [InlineData(GgmlType.Q5_K, 3)]
    [InlineData(GgmlType.Q5_K, 4)]
    [InlineData(GgmlType.Q6_K, 2)]
    [InlineData(GgmlType.Q6_K, 3)]
    [InlineData(GgmlType.Q6_K, 4)]
    public void Many_token_dot_equals_single_dots(GgmlType type, int tokens)
    {
        var random = new TestRandom();
        var kernel = QuantKernels.Get(type);
        var many = tokens switch { 2 => kernel.Dot2, 3 => kernel.Dot3, _ => kernel.Dot4 };
        Assert.True(many != null, $"the {type} entry has no {tokens}-token dot where AVX2 runs");
        foreach (int k in Lengths(type))
        {
            var rows = new QuantizedRows(type, kernel.ActivationType, k, 1, random);
            int stride = (int)kernel.ActivationRowBytes(k) + 40;
            var activations = new byte[tokens * stride];
            for (int t = 0; t < tokens; t++)
                rows.Activation(random.Floats(k)).Bytes.CopyTo(activations, t * stride);
            var results = new float[tokens];
            fixed (byte* w = rows.Weights)
            fixed (byte* a = activations)
            fixed (float* r = results)
            {
                many(w, a, stride, k, r);
                for (int t = 0; t < tokens; t++)
                {
                    float single = kernel.Dot(w, a + t * stride, k);
                    Assert.True(BitConverter.SingleToInt32Bits(single) == BitConverter.SingleToInt32Bits(results[t]),
                        $"{type} k={k} token {t} of {tokens}: {results[t]} vs {single} ({random})");
                }
            }
        }
    }

    [Fact]
    public void Every_tile_kernel_matches_single_dots()
    {
        var random = new TestRandom();
        int ran = 0;
        foreach (var (type, name, supported, tilePointer) in KernelPaths.Tiles)
        {
            if (!supported)
            {
                output.WriteLine($"{type} tile {name}: SKIPPED, this CPU lacks it");
                continue;
            }
            var tile = (delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)tilePointer;
            var kernel = QuantKernels.Get(type);
            foreach (int k in Lengths(type))
            {
                var rows = new QuantizedRows(type, kernel.ActivationType, k, 4, random);
                int stride = (int)kernel.ActivationRowBytes(k);
                var activations = new byte[4 * stride];
                var magnitudes = new double[16];
                for (int t = 0; t < 4; t++)
                {
                    var (bytes, values) = rows.Activation(random.Floats(k));
                    bytes.CopyTo(activations, t * stride);
                    for (int r = 0; r < 4; r++)
                        magnitudes[t * 4 + r] = rows.Reference(r, values).Magnitude;
                }
                var y = new float[16];   // [token, row], row stride 4
                fixed (byte* w = rows.Weights)
                fixed (byte* a = activations)
                fixed (float* result = y)
                {
                    tile(w, rows.WeightRowBytes, a, stride, k, result, 4);
                    for (int t = 0; t < 4; t++)
                    {
                        for (int r = 0; r < 4; r++)
                        {
                            float single = kernel.Dot(w + r * rows.WeightRowBytes, a + t * stride, k);
                            double error = Tolerances.Relative(y[t * 4 + r], single, magnitudes[t * 4 + r]);
                            Assert.True(error <= Tolerances.SimdVsScalar, $"{type} tile {name} k={k} row {r} token {t}: {y[t * 4 + r]} vs {single} ({random})");
                        }
                    }
                }
            }
            ran++;
        }
        Assert.True(ran > 0, "no tile kernel could run on this CPU");
    }
}
