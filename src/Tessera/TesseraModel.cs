using Microsoft.Extensions.AI;
using Tessera.Server.Hosting;
using Tessera.Server.Metrics;

namespace Tessera;

/// <summary>
/// A GGUF model loaded in this process, with the server's scheduler (continuous batching over a few slots) but no
/// HTTP: <see cref="AsChatClient"/> and <see cref="AsEmbeddingGenerator"/> are two front ends on the one model, and
/// concurrent callers are batched together in its steps. Dispose it when done (clients stop working then).
/// </summary>
public sealed class TesseraModel : IDisposable
{
    private TesseraModel(ServedModel served) => Served = served;

    internal ServedModel Served { get; }

    /// <summary>The name responses carry.</summary>
    public string Id => Served.Id;

    /// <summary>Whether the model writes text (an encoder such as BERT only embeds).</summary>
    public bool CanGenerate => Served.CanGenerate;

    /// <summary>Loads <paramref name="path"/>; a malformed file or an unsupported architecture throws with the reason.</summary>
    public static TesseraModel Load(string path, TesseraModelOptions? options = null)
    {
        options ??= new TesseraModelOptions();
        var serverOptions = new ServerOptions
        {
            ModelPath = path,
            ModelId = options.ModelId,
            ContextSize = options.ContextSize,
            Parallel = options.Parallel,
            MaxQueue = options.MaxQueue,
            Threads = options.Threads,
        };
        var source = serverOptions.ServedModels[0];
        return new TesseraModel(ServedModel.Load(serverOptions, source, new ServerMetrics(), warn: _ => { }));
    }

    /// <summary>An <see cref="IChatClient"/> over this model (chat template, sampling, JSON output, tools).</summary>
    public IChatClient AsChatClient() => new TesseraChatClient(this);

    /// <summary>An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over this model (pooled, normalised).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> AsEmbeddingGenerator() => new TesseraEmbeddingGenerator(this);

    public void Dispose() => Served.Dispose();
}
