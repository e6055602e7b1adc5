using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Tessera.Gguf;
using Tessera.Runtime.Grammars;
using Tessera.Tokenizers;

namespace Tessera.Benchmarks.Sampling;

/// <summary>
/// What constrained decoding adds to one generated token: <see cref="GrammarMatcher.Apply"/> (mask the logits to the
/// schema) and <see cref="GrammarMatcher.Accept"/> along a fixed JSON answer, per token, with warm mask caches as a
/// server has them after the first request with a schema. Vocabularies: the 32,000-token Llama 2 SentencePiece one
/// (syn-llama) and the 151,936-token Qwen byte-level BPE one (syn-qwen3). Compare with the step time of
/// <c>tessera bench</c> on the same machine.
/// Run: dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*GrammarMaskBenchmarks*'
/// </summary>
[Config(typeof(SamplerBenchmarkConfig))]
public class GrammarMaskBenchmarks
{
    private const string Schema = """{"type":"object","properties":{"name":{"type":"string","maxLength":24},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"},"maxItems":4},"address":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}},"required":["name","age","address"],"additionalProperties":false}""";
    private const string Answer = """{"name": "Ada Lovelace", "age": 36, "tags": ["math", "poetry"], "address": {"city": "London"}}""";

    private Tokenizer _tokenizer = null!;
    private CompiledGrammar _grammar = null!;
    private int[] _tokens = null!;
    private float[] _logits = null!;

    [Params("syn-llama-Q4_0.gguf", "syn-qwen3-Q4_0.gguf")]
    public string Model { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "models", Model);
        using (var file = GgufFile.Open(Path.GetFullPath(path)))
            _tokenizer = Tokenizer.FromGguf(file.Metadata);
        using var schema = JsonDocument.Parse(Schema);
        _grammar = CompiledGrammar.FromJsonSchema(schema.RootElement);
        _tokens = _tokenizer.Encode(Answer, addSpecial: false);
        Console.WriteLine($"// {Model}: the answer is {_tokens.Length} tokens");
        if (!GrammarMatcher.Matches(_grammar, _tokenizer.Decode(_tokens)))
            throw new InvalidOperationException("the benchmark answer does not match its schema");
        _logits = new float[_tokenizer.VocabularySize];
        TokenTrie.For(_tokenizer);
        MaskAndAcceptAnswer();   // warm the mask caches
    }

    /// <summary>Mask and accept every token of the answer; divide by the token count Setup prints for the per-token cost.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public int MaskAndAcceptAnswer()
    {
        var matcher = new GrammarMatcher(_grammar, _tokenizer);
        int allowed = 0;
        for (int i = 0; i < _tokens.Length; i++)
        {
            _logits.AsSpan().Fill(1f);
            matcher.Apply(_logits, _tokens.Length - i + 16);
            allowed += float.IsFinite(_logits[_tokens[i]]) ? 1 : 0;
            matcher.Accept(_tokens[i]);
        }
        return allowed;
    }
}
