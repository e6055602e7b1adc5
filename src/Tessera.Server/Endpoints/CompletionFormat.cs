using System.Text.Json;
using Tessera.Server.Api;
using Tessera.Server.Scheduling;
using Tessera.Tokenizers;

namespace Tessera.Server.Endpoints;

/// <summary>Text completion objects ("text_completion"), streamed as the same object with partial text.</summary>
internal sealed class CompletionFormat(string id, long created, string model, Tokenizer tokenizer) : IResponseFormat
{
    private const string Object = "text_completion";

    public byte[]? Opening(int index) => null;

    public byte[]? Delta(int index, string text, TokenGenerated? token) =>
        Serialize(new CompletionChoice(index, text, token?.Logprobs is null ? null : Logprobs([token], 0), null), null);

    public IEnumerable<byte[]> Finish(int index, string finishReason) => [Serialize(new CompletionChoice(index, "", null, finishReason), null)];

    public byte[] UsageChunk(Usage usage) => Serialize(null, usage);

    public byte[] Response(IReadOnlyList<ChoiceState> choices, Usage usage)
    {
        var list = choices.Select(choice => new CompletionChoice(choice.Index, choice.Text.ToString(),
            choice.Tokens.Count > 0 && choice.Tokens[0].Logprobs is not null ? Logprobs(choice.Tokens, 0) : null,
            choice.FinishReason)).ToList();
        return JsonSerializer.SerializeToUtf8Bytes(new Completion(id, Object, created, model, list, usage), ServerJsonContext.Default.Completion);
    }

    private byte[] Serialize(CompletionChoice? choice, Usage? usage) =>
        JsonSerializer.SerializeToUtf8Bytes(new Completion(id, Object, created, model, choice is null ? [] : [choice], usage),
            ServerJsonContext.Default.Completion);

    /// <summary>The legacy logprobs shape: parallel lists of tokens, their logprobs, top alternatives and text offsets.</summary>
    private CompletionLogprobs Logprobs(IReadOnlyList<TokenGenerated> tokens, int startOffset)
    {
        var texts = new List<string>();
        var values = new List<float>();
        var tops = new List<Dictionary<string, float>>();
        var offsets = new List<int>();
        int offset = startOffset;
        foreach (var token in tokens)
        {
            string text = TokenPieces.Of(tokenizer, token.TokenId).Text;
            texts.Add(text);
            values.Add(token.Logprobs!.Logprob);
            var top = new Dictionary<string, float>();
            foreach (var (id, logprob) in token.Logprobs.Top)
                top.TryAdd(TokenPieces.Of(tokenizer, id).Text, logprob);
            tops.Add(top);
            offsets.Add(offset);
            offset += token.Text.Length;
        }
        return new CompletionLogprobs(texts, values, tops, offsets);
    }
}
