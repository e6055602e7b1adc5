using System.Text;
using Tessera.Server.Scheduling;

namespace Tessera.Server.Endpoints;

/// <summary>What one choice has produced so far: its text, its tokens (for logprobs) and how it ended.</summary>
internal sealed class ChoiceState(int index)
{
    public int Index { get; } = index;
    public StringBuilder Text { get; } = new();
    public List<TokenGenerated> Tokens { get; } = [];
    public JobFinished? Finished { get; set; }

    /// <summary>OpenAI's finish_reason: "stop" or "length".</summary>
    public string? FinishReason => Finished?.Reason switch
    {
        StopReason.Stop => "stop",
        StopReason.Length => "length",
        _ => null,
    };
}
