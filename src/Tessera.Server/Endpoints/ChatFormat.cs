using System.Text.Json;
using Tessera.Server.Api;
using Tessera.Server.Scheduling;
using Tessera.Tokenizers;

namespace Tessera.Server.Endpoints;

/// <summary>Chat completion objects ("chat.completion") and stream chunks ("chat.completion.chunk").</summary>
internal sealed class ChatFormat(string id, long created, string model, Tokenizer tokenizer) : IResponseFormat
{
    private const string ChunkObject = "chat.completion.chunk";

    public byte[]? Opening(int index) => Serialize(new ChatChunkChoice(index, new ChatDelta("assistant", ""), null, null));

    public byte[] Delta(int index, string text, TokenGenerated? token) =>
        Serialize(new ChatChunkChoice(index, new ChatDelta(null, text), token?.Logprobs is null ? null : new ChatLogprobs([Logprob(token)]), null));

    public byte[] Finish(int index, string finishReason) => Serialize(new ChatChunkChoice(index, new ChatDelta(null, null), null, finishReason));

    public byte[] UsageChunk(Usage usage) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatChunk(id, ChunkObject, created, model, [], usage), ServerJsonContext.Default.ChatChunk);

    public byte[] Response(IReadOnlyList<ChoiceState> choices, Usage usage)
    {
        var list = choices.Select(choice => new ChatChoice(choice.Index, new AssistantMessage("assistant", choice.Text.ToString()),
            choice.Tokens.Count > 0 && choice.Tokens[0].Logprobs is not null ? new ChatLogprobs(choice.Tokens.Select(Logprob).ToList()) : null,
            choice.FinishReason)).ToList();
        return JsonSerializer.SerializeToUtf8Bytes(new ChatCompletion(id, "chat.completion", created, model, list, usage),
            ServerJsonContext.Default.ChatCompletion);
    }

    private byte[] Serialize(ChatChunkChoice choice) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatChunk(id, ChunkObject, created, model, [choice], null), ServerJsonContext.Default.ChatChunk);

    private ChatTokenLogprob Logprob(TokenGenerated token)
    {
        var logprobs = token.Logprobs!;
        var (text, bytes) = TokenPieces.Of(tokenizer, token.TokenId);
        var top = logprobs.Top.Select(alternative =>
        {
            var (altText, altBytes) = TokenPieces.Of(tokenizer, alternative.TokenId);
            return new ChatTopLogprob(altText, alternative.Logprob, altBytes);
        }).ToList();
        return new ChatTokenLogprob(text, logprobs.Logprob, bytes, top);
    }
}
