using Tessera.Tensors;

namespace Tessera.Tensors.Tests;

public class GgmlTypeTraitsTests
{
    [Theory]
    [InlineData(GgmlType.Q4_0, 32, 18)]
    [InlineData(GgmlType.Q4_1, 32, 20)]
    [InlineData(GgmlType.Q5_0, 32, 22)]
    [InlineData(GgmlType.Q5_1, 32, 24)]
    [InlineData(GgmlType.Q8_0, 32, 34)]
    [InlineData(GgmlType.Q8_1, 32, 36)]
    [InlineData(GgmlType.Q2_K, 256, 84)]
    [InlineData(GgmlType.Q3_K, 256, 110)]
    [InlineData(GgmlType.Q4_K, 256, 144)]
    [InlineData(GgmlType.Q5_K, 256, 176)]
    [InlineData(GgmlType.Q6_K, 256, 210)]
    [InlineData(GgmlType.Q8_K, 256, 292)]
    [InlineData(GgmlType.IQ4_NL, 32, 18)]
    [InlineData(GgmlType.F16, 1, 2)]
    [InlineData(GgmlType.BF16, 1, 2)]
    [InlineData(GgmlType.F32, 1, 4)]
    public void Block_sizes_match_the_format(GgmlType type, int blockSize, int blockBytes)
    {
        var traits = GgmlTypeTraits.Of(type);
        Assert.Equal(blockSize, traits.BlockSize);
        Assert.Equal(blockBytes, traits.BlockBytes);
    }

    [Theory]
    [InlineData(4u)]
    [InlineData(5u)]
    [InlineData(31u)]
    [InlineData(40u)]
    [InlineData(uint.MaxValue)]
    public void Retired_and_unknown_ids_are_not_known(uint id)
    {
        Assert.False(GgmlTypeTraits.IsKnown(id));
        Assert.Throws<ArgumentOutOfRangeException>(() => GgmlTypeTraits.Of((GgmlType)id));
    }

    [Fact]
    public void Names_parse_back_to_their_type()
    {
        foreach (var t in GgmlTypeTraits.All)
        {
            Assert.True(GgmlTypeTraits.TryParse(t.Name.ToLowerInvariant(), out var parsed));
            Assert.Equal(t.Type, parsed);
        }
        Assert.False(GgmlTypeTraits.TryParse("Q4_K_M", out _));
    }

    [Fact]
    public void Bytes_for_rejects_partial_blocks()
    {
        Assert.Equal(18 * 4, GgmlTypeTraits.Of(GgmlType.Q4_0).BytesFor(128));
        Assert.Throws<ArgumentException>(() => GgmlTypeTraits.Of(GgmlType.Q4_0).BytesFor(100));
    }
}
