namespace Tessera.Tensors.Tests;

/// <summary>Quantize/dequantize round trips on fresh random weight-like data.</summary>
public class RoundTripTests
{
    /// <summary>A large row: many blocks, so the error estimate is tight.</summary>
    private const int LargeElementCount = 1 << 16;

    private const int MaxSmallBlocks = 16;

    public static TheoryData<GgmlType> SupportedTypes() => QuantizationTests.SupportedTypes();

    /// <summary>
    /// Types whose quantizer rounds each value to the nearest level of a scale fixed by the block's extremes.
    /// (Q8_1 rounds its quants the same way, but its stored sum uses the unrounded scale, so it is not idempotent.)
    /// </summary>
    public static TheoryData<GgmlType> RoundToNearestTypes() =>
        new(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0);

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Error_is_within_tolerance_for_any_block_count(GgmlType type)
    {
        var random = new RandomData();
        int blockSize = GgmlTypeTraits.Of(type).BlockSize;
        var counts = Enumerable.Range(0, 6).Select(_ => random.Next(1, MaxSmallBlocks + 1) * blockSize)
            .Append(blockSize).Append(LargeElementCount);
        foreach (int count in counts)
        {
            // Weights from 0.01 to 10. Much smaller weights push the half super-scales of the K-quants deep into
            // half's subnormal range, where the format itself loses precision.
            float scale = MathF.Pow(10, random.Next(-2, 2));
            double error = ErrorMeasure.RoundTrip(type, random.Gaussian(count, scale));
            double bound = Tolerances.RelativeRms(type) * Tolerances.SampleFactor(count / blockSize);
            Assert.True(error <= bound, $"{type}, {count} values of scale {scale}: error {error:G4} > {bound:G4} ({random})");
        }
    }

    [Theory]
    [MemberData(nameof(RoundToNearestTypes))]
    public void Requantizing_dequantized_blocks_gives_the_same_bytes(GgmlType type)
    {
        var random = new RandomData();
        var traits = GgmlTypeTraits.Of(type);
        int count = random.Next(1, 64) * traits.BlockSize;
        var first = new byte[traits.BytesFor(count)];
        var second = new byte[first.Length];
        var values = new float[count];

        Quantization.Quantize(type, random.Gaussian(count, 0.02f), first);
        Quantization.Dequantize(type, first, values);
        Quantization.Quantize(type, values, second);
        Assert.True(first.AsSpan().SequenceEqual(second), $"{type} is not idempotent ({random})");
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Zero_blocks_stay_zero(GgmlType type)
    {
        int count = GgmlTypeTraits.Of(type).BlockSize * 2;
        var bytes = new byte[GgmlTypeTraits.Of(type).BytesFor(count)];
        var back = new float[count];
        back.AsSpan().Fill(1);
        Quantization.Quantize(type, new float[count], bytes);
        Quantization.Dequantize(type, bytes, back);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Constant_blocks_stay_close(GgmlType type)
    {
        int blockSize = Math.Max(32, GgmlTypeTraits.Of(type).BlockSize);
        foreach (float value in new[] { 0.37f, -2.5f })
        {
            double error = ErrorMeasure.RoundTrip(type, Enumerable.Repeat(value, blockSize).ToArray());
            Assert.True(error <= Tolerances.RelativeRms(type), $"{type}, constant {value}: error {error:G4}");
        }
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void An_outlier_keeps_its_value(GgmlType type)
    {
        var traits = GgmlTypeTraits.Of(type);
        var random = new RandomData();
        var values = random.Gaussian(Math.Max(32, traits.BlockSize));
        int at = random.Next(0, values.Length);
        values[at] = 50;

        var bytes = new byte[traits.BytesFor(values.Length)];
        var back = new float[values.Length];
        Quantization.Quantize(type, values, bytes);
        Quantization.Dequantize(type, bytes, back);
        Assert.True(Math.Abs(back[at] - 50) <= 50 * Tolerances.RelativeRms(type), $"{type}: outlier 50 came back as {back[at]} ({random})");
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Non_finite_values_do_not_break_quantizing(GgmlType type)
    {
        // Garbage in, garbage out, but no exception or hang: a corrupt tensor must not take the tool down.
        int count = Math.Max(32, GgmlTypeTraits.Of(type).BlockSize) * 3;
        var values = new RandomData().Gaussian(count);
        values[1] = float.NaN;
        values[count / 2] = float.PositiveInfinity;
        values[count - 1] = float.NegativeInfinity;
        var bytes = new byte[GgmlTypeTraits.Of(type).BytesFor(count)];
        Quantization.Quantize(type, values, bytes);
        Quantization.Dequantize(type, bytes, new float[count]);
    }
}
