namespace Tessera.Tensors.Tests;

/// <summary>The facade's contract: which types it takes and how it rejects bad spans.</summary>
public class QuantizationTests
{
    public static TheoryData<GgmlType> SupportedTypes() => new(GgmlTypeTraits.All.Select(t => t.Type).Where(Quantization.CanQuantize));

    [Fact]
    public void Supports_the_reference_types()
    {
        GgmlType[] expected =
        [
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q8_0, GgmlType.Q8_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
            GgmlType.Q8_K, GgmlType.IQ4_NL,
        ];
        Assert.Equal(expected.Order(), GgmlTypeTraits.All.Select(t => t.Type).Where(Quantization.CanQuantize).Order());
        Assert.Equal(expected.Order(), GgmlTypeTraits.All.Select(t => t.Type).Where(Quantization.CanDequantize).Order());
    }

    [Theory]
    [InlineData(GgmlType.IQ2_XXS)]
    [InlineData(GgmlType.MXFP4)]
    [InlineData(GgmlType.I32)]
    [InlineData((GgmlType)4)]
    public void Unsupported_types_throw_naming_the_type(GgmlType type)
    {
        var quantize = Assert.Throws<NotSupportedException>(() => Quantization.Quantize(type, new float[256], new byte[1024]));
        var dequantize = Assert.Throws<NotSupportedException>(() => Quantization.Dequantize(type, new byte[1024], new float[256]));
        string name = GgmlTypeTraits.IsKnown(type) ? type.ToString() : "4";
        Assert.Contains(name, quantize.Message);
        Assert.Contains(name, dequantize.Message);
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Partial_blocks_and_wrong_byte_counts_are_rejected(GgmlType type)
    {
        var traits = GgmlTypeTraits.Of(type);
        int elements = traits.BlockSize * 2;
        int bytes = traits.BlockBytes * 2;

        Assert.Throws<ArgumentException>(() => Quantization.Quantize(type, new float[elements], new byte[bytes - 1]));
        Assert.Throws<ArgumentException>(() => Quantization.Quantize(type, new float[elements], new byte[bytes + 1]));
        Assert.Throws<ArgumentException>(() => Quantization.Dequantize(type, new byte[bytes + traits.BlockBytes], new float[elements]));
        if (traits.BlockSize > 1)
        {
            var partial = Assert.Throws<ArgumentException>(() => Quantization.Quantize(type, new float[elements - 1], new byte[bytes]));
            Assert.Contains(traits.Name, partial.Message);
            Assert.Throws<ArgumentException>(() => Quantization.Dequantize(type, new byte[bytes], new float[elements + 1]));
        }
    }

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void Empty_spans_are_fine(GgmlType type)
    {
        Quantization.Quantize(type, [], []);
        Quantization.Dequantize(type, [], []);
    }
}
