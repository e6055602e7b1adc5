using Microsoft.Extensions.AI;

namespace Tessera;

/// <summary>
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> on a <see cref="TesseraModel"/>: BERT-style encoders pool as
/// their file says, decoder models by their last token; vectors are L2-normalised. Calls run on the thread pool and
/// are serialised by the model's embedder.
/// </summary>
internal sealed class TesseraEmbeddingGenerator(TesseraModel model) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingGeneratorMetadata _metadata = new("tessera", null, model.Id);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values.ToList();
        var embedder = model.Served.Embedder;
        if (options?.Dimensions is { } dimensions && dimensions != embedder.Dimensions)
            throw new ArgumentException($"this model's embeddings have {embedder.Dimensions} dimensions, not {dimensions}", nameof(options));
        var batch = await Task.Run(() => embedder.Embed(texts, cancellationToken), cancellationToken);
        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(batch.Embeddings.Select(vector => new Embedding<float>(vector)
        {
            ModelId = model.Id,
            CreatedAt = created,
        }))
        {
            Usage = new UsageDetails { InputTokenCount = batch.TotalTokens, TotalTokenCount = batch.TotalTokens },
        };
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(TesseraModel) ? model
        : null;

    public void Dispose()
    {
    }
}
