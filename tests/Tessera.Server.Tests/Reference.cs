using Tessera.ChatTemplates;
using Tessera.Gguf;
using Tessera.Models;
using Tessera.Runtime;
using Tessera.Runtime.Generation;
using Tessera.Runtime.Sampling;
using Tessera.Testing;
using Tessera.Tokenizers;

namespace Tessera.Server.Tests;

/// <summary>What the runtime produces without the server: the expected answers of the HTTP tests.</summary>
public static class Reference
{
    private static readonly Lazy<Tokenizer> StoriesTokenizer = new(() =>
    {
        using var file = GgufFile.Open(SharedData.Model(TestServer.StoriesModel));
        return Tokenizer.FromGguf(file.Metadata);
    });

    public static Tokenizer Tokenizer => StoriesTokenizer.Value;

    /// <summary>The prompt tokens of a one-message chat: stories260K has no template, so the server uses ChatML.</summary>
    public static int[] ChatPrompt(string userText)
    {
        string rendered = ChatTemplate.ChatMl.RenderChat([new ChatMessage("user", userText)], addGenerationPrompt: true);
        return Tokenizer.Encode(rendered, addSpecial: true, parseSpecial: true);
    }

    public static int[] TextPrompt(string text) => Tokenizer.Encode(text, addSpecial: true, parseSpecial: true);

    /// <summary>Greedy continuation of <paramref name="prompt"/> by the runtime's own generator.</summary>
    public static GenerationResult Greedy(int[] prompt, int maxTokens, IReadOnlyList<string>? stop = null)
    {
        using var model = ModelLoader.Load(SharedData.Model(TestServer.StoriesModel));
        using var context = new InferenceContext(model, new ContextOptions { ContextSize = 1024, Threads = 1 });
        using var session = context.CreateSession();
        var generator = new Generator(session, Tokenizer);
        return generator.Generate(prompt, new Sampler(SamplerOptions.Greedy, model.VocabularySize),
            new GenerationOptions { MaxTokens = maxTokens, StopStrings = stop ?? [] });
    }
}
