using Microsoft.Extensions.AI;
using Tessera.Testing;

namespace Tessera.Tests;

/// <summary>IEmbeddingGenerator on a decoder model (stories260K, last-token pooling): shape, unit length, batches.</summary>
public sealed class EmbeddingGeneratorTests(StoriesModelFixture fixture) : IClassFixture<StoriesModelFixture>
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator = fixture.Model.AsEmbeddingGenerator();

    [Fact]
    public async Task Embeddings_have_the_model_width_unit_length_and_usage()
    {
        var result = await _generator.GenerateAsync(["Once upon a time", "The dog ran."]);
        Assert.Equal(2, result.Count);
        foreach (var embedding in result)
        {
            Assert.Equal(64, embedding.Vector.Length);
            Assert.Equal(1.0, Math.Sqrt(embedding.Vector.Span.ToArray().Sum(x => (double)x * x)), 4);
            Assert.Equal("stories260K", embedding.ModelId);
        }
        Assert.True(result.Usage!.InputTokenCount >= 6);
        Assert.NotEqual(result[0].Vector.ToArray(), result[1].Vector.ToArray());
    }

    [Fact]
    public async Task A_batch_equals_the_texts_one_by_one()
    {
        string[] texts = ["Lily liked cats.", "A big red ball", "Tom"];
        var batch = await _generator.GenerateAsync(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var single = (await _generator.GenerateAsync([texts[i]]))[0].Vector.ToArray();
            var together = batch[i].Vector.ToArray();
            for (int d = 0; d < single.Length; d++)
                Assert.Equal(single[d], together[d], 1e-4);
        }
    }

    [Fact]
    public async Task Other_dimensions_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 3 }));
    }
}
