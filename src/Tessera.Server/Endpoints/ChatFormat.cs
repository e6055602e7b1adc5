using System.Text.Json;
using Tessera.Runtime.Tools;
using Tessera.Server.Api;
using Tessera.Server.Scheduling;
using Tessera.Tokenizers;

namespace Tessera.Server.Endpoints;

/// <summary>
/// Chat completion objects ("chat.completion") and stream chunks ("chat.completion.chunk"). When the request's tools
/// may be called (<paramref name="calls"/> not null), answers are parsed for calls in the model's format: whole answers
/// at the end, streams through a <see cref="ToolCallStream"/> per choice that holds back what may be a call; found calls
/// become <c>tool_calls</c> with <c>finish_reason: "tool_calls"</c>.
/// </summary>
internal sealed class ChatFormat(string id, long created, string model, Tokenizer tokenizer, ToolCallFormat? calls = null, bool parallelCalls = true)
    : IResponseFormat
{
    private const string ChunkObject = "chat.completion.chunk";
    private const string ToolCallsReason = "tool_calls";
    private readonly Dictionary<int, ToolCallStream> _streams = [];

    public byte[]? Opening(int index) => Serialize(new ChatChunkChoice(index, new ChatDelta("assistant", ""), null, null));

    public byte[]? Delta(int index, string text, TokenGenerated? token)
    {
        string content = calls is null ? text : StreamOf(index).Append(text);
        if (content.Length == 0 && token?.Logprobs is null)
            return null;
        return Serialize(new ChatChunkChoice(index, new ChatDelta(null, content), token?.Logprobs is null ? null : new ChatLogprobs([Logprob(token)]), null));
    }

    public IEnumerable<byte[]> Finish(int index, string finishReason)
    {
        if (calls is not null)
        {
            var end = StreamOf(index).Finish();
            if (end.Content.Length > 0)
                yield return Serialize(new ChatChunkChoice(index, new ChatDelta(null, end.Content), null, null));
            var found = end.Allowed(parallelCalls);
            // As OpenAI streams a call: a first delta names it with empty arguments, the next carries the arguments.
            for (int i = 0; i < found.Count; i++)
            {
                yield return Serialize(new ChatChunkChoice(index, new ChatDelta(null, null,
                    [new ToolCallDelta(i, found[i].Id, "function", new FunctionCallDelta(found[i].Name, ""))]), null, null));
                yield return Serialize(new ChatChunkChoice(index, new ChatDelta(null, null,
                    [new ToolCallDelta(i, null, null, new FunctionCallDelta(null, found[i].Arguments))]), null, null));
            }
            if (found.Count > 0)
                finishReason = ToolCallsReason;
        }
        yield return Serialize(new ChatChunkChoice(index, new ChatDelta(null, null), null, finishReason));
    }

    public byte[] UsageChunk(Usage usage) =>
        JsonSerializer.SerializeToUtf8Bytes(new ChatChunk(id, ChunkObject, created, model, [], usage), ServerJsonContext.Default.ChatChunk);

    public byte[] Response(IReadOnlyList<ChoiceState> choices, Usage usage)
    {
        var list = choices.Select(choice =>
        {
            var logprobs = choice.Tokens.Count > 0 && choice.Tokens[0].Logprobs is not null ? new ChatLogprobs(choice.Tokens.Select(Logprob).ToList()) : null;
            string text = choice.Text.ToString();
            if (calls?.Parse(text) is { Calls.Count: > 0 } parsed)
            {
                var bodies = parsed.Allowed(parallelCalls).Select(c => new ToolCallBody(c.Id, "function", new FunctionCallBody(c.Name, c.Arguments))).ToList();
                return new ChatChoice(choice.Index, new AssistantMessage("assistant", parsed.Content.Length == 0 ? null : parsed.Content, bodies), logprobs, ToolCallsReason);
            }
            return new ChatChoice(choice.Index, new AssistantMessage("assistant", text), logprobs, choice.FinishReason);
        }).ToList();
        return JsonSerializer.SerializeToUtf8Bytes(new ChatCompletion(id, "chat.completion", created, model, list, usage),
            ServerJsonContext.Default.ChatCompletion);
    }

    private ToolCallStream StreamOf(int index)
    {
        if (!_streams.TryGetValue(index, out var stream))
            _streams[index] = stream = new ToolCallStream(calls!);
        return stream;
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
