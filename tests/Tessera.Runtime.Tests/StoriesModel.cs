using Tessera.Models;
using Tessera.Testing;
using Tessera.Tokenizers;

namespace Tessera.Runtime.Tests;

/// <summary>The small trained llama, loaded once for the test classes that share it.</summary>
public sealed class StoriesModel : IDisposable
{
    public StoriesModel()
    {
        Model = ModelLoader.Load(SharedData.Model("stories260K.gguf"));
        Tokenizer = Tokenizer.FromGguf(Model.File.Metadata);
    }

    public TransformerModel Model { get; }
    public Tokenizer Tokenizer { get; }

    public InferenceContext CreateContext(int contextSize = 128, int batchSize = 64, int sequences = 1, Tensors.GgmlType kvType = Tensors.GgmlType.F32) =>
        new(Model, new ContextOptions { ContextSize = contextSize, BatchSize = batchSize, SequenceCount = sequences, KvCacheType = kvType, Threads = 2 });

    public void Dispose() => Model.Dispose();
}
