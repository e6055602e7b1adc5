using System.Text.Json;
using Json.Schema;
using Tessera.Models;
using Tessera.Runtime.Generation;
using Tessera.Runtime.Grammars;
using Tessera.Runtime.Sampling;
using Tessera.Testing;
using Tessera.Tokenizers;

namespace Tessera.Runtime.Tests.Grammars;

/// <summary>
/// Random-weight models write whatever their weights say; under a JSON schema every one of 50 seeded generations per
/// schema must still parse and validate (checked by JsonSchema.Net), even when cut by the token limit. The seeds
/// rotate over a 32000-token SentencePiece model, a 151936-token byte-level BPE model and a 512-token one.
/// </summary>
public sealed class ConstrainedGenerationTests : IDisposable
{
    private const int Seeds = 50;
    private const int MaxTokens = 32;

    public static readonly TheoryData<string> Schemas = new()
    {
        """{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"},"maxItems":3},"ok":{"type":"boolean"}},"required":["name","age"],"additionalProperties":false}""",
        """{"type":"object","properties":{"kind":{"enum":["cat","dog",7]},"v":{"const":"x"},"n":{"anyOf":[{"type":"number"},{"type":"null"}]}},"required":["kind","v"],"additionalProperties":false}""",
        """{"type":"array","items":{"oneOf":[{"type":"string","format":"date"},{"type":"string","format":"uuid"},{"type":"string","format":"time"}]},"minItems":1,"maxItems":2}""",
        """{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"],"additionalProperties":false}},"$ref":"#/$defs/node"}""",
    };

    private readonly (TransformerModel Model, Tokenizer Tokenizer)[] _models =
        new[] { "syn-llama-Q4_0.gguf", "syn-qwen3-Q4_0.gguf", "syn-qwen2-Q8_0.gguf" }.Select(file =>
        {
            var model = ModelLoader.Load(SharedData.Model(file));
            return (model, Tokenizer.FromGguf(model.File.Metadata));
        }).ToArray();

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Every_seed_produces_json_that_validates(string schemaText)
    {
        using var document = JsonDocument.Parse(schemaText);
        var grammar = CompiledGrammar.FromJsonSchema(document.RootElement);
        var validator = JsonSchema.FromText(schemaText);
        var contexts = _models.Select(m => new InferenceContext(m.Model, new ContextOptions { ContextSize = 128, BatchSize = 32, Threads = 1 })).ToArray();
        try
        {
            var lengths = new HashSet<int>();
            for (int seed = 0; seed < Seeds; seed++)
            {
                var (model, tokenizer) = _models[seed % _models.Length];
                using var session = contexts[seed % _models.Length].CreateSession();
                var generator = new Generator(session, tokenizer);
                var sampling = new SamplerOptions { Temperature = 1.0f, TopK = 0, TopP = 1, MinP = 0, Seed = (ulong)seed };
                var result = generator.Generate(tokenizer.Encode("JSON:"), new Sampler(sampling, model.VocabularySize),
                    new GenerationOptions { MaxTokens = MaxTokens, Grammar = grammar });
                Assert.True(JsonSchemaGrammarTests.Validates(validator, result.Text),
                    $"seed {seed} ({model.File.Path}): {result.FinishReason} after {result.TokenIds.Count} tokens: {result.Text}");
                lengths.Add(result.Text.Length);
            }
            // Not one canned answer: the seeds lead to different outputs.
            Assert.True(lengths.Count > 3, $"only {lengths.Count} distinct output lengths");
        }
        finally
        {
            foreach (var context in contexts)
                context.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var (model, _) in _models)
            model.Dispose();
    }
}
