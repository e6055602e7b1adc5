using Tessera.Server.Api;
using Tessera.Server.Scheduling;

namespace Tessera.Server.Endpoints;

/// <summary>How one endpoint (chat or text completions) shapes its stream chunks and its whole response, as UTF-8 JSON.</summary>
internal interface IResponseFormat
{
    /// <summary>The chunk that opens a choice's stream (chat announces the assistant role), or null.</summary>
    byte[]? Opening(int index);

    /// <summary>A chunk with new text of a choice and, when logprobs were asked for, the token that released it; null
    /// when there is nothing to send yet (text held back).</summary>
    byte[]? Delta(int index, string text, TokenGenerated? token);

    /// <summary>The chunks that end a choice: whatever was held back, then the one with the finish reason.</summary>
    IEnumerable<byte[]> Finish(int index, string finishReason);

    byte[] UsageChunk(Usage usage);

    byte[] Response(IReadOnlyList<ChoiceState> choices, Usage usage);
}
