using System.Collections.Concurrent;
using Tessera.Gguf;
using Tessera.Testing;

namespace Tessera.Tokenizers.Tests;

/// <summary>Class fixture: builds each tokenizer once per test class, however many tests use it.</summary>
public sealed class TokenizerCache
{
    private readonly ConcurrentDictionary<string, Lazy<Tokenizer>> _byPath = new(StringComparer.Ordinal);

    public Tokenizer Vocab(string vocabName) => Load(Path.Combine(SharedData.TokenizerVectors, $"ggml-vocab-{vocabName}.gguf"));

    public Tokenizer Model(string modelFile) => Load(SharedData.Model(modelFile));

    public Tokenizer Load(string path) => _byPath.GetOrAdd(path, p => new Lazy<Tokenizer>(() =>
    {
        using var file = GgufFile.Open(p);
        return Tokenizer.FromGguf(file.Metadata);
    })).Value;
}
