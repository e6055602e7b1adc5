namespace Tessera.Server.Scheduling;

/// <summary>Progress of a <see cref="GenerationJob"/>, in order: any number of <see cref="TokenGenerated"/>, then one
/// <see cref="JobFinished"/> or <see cref="JobFailed"/>.</summary>
public abstract record JobEvent(int ChoiceIndex);

/// <summary>One generated token and the text it released (possibly empty while a character or a possible stop string
/// is held back).</summary>
public sealed record TokenGenerated(int ChoiceIndex, int TokenId, string Text, TokenLogprobs? Logprobs) : JobEvent(ChoiceIndex);

/// <summary>The end of a choice: why, the text still held back, and the token counts for usage.</summary>
public sealed record JobFinished(int ChoiceIndex, StopReason Reason, string FinalText, int PromptTokens, int CompletionTokens,
    int CachedPromptTokens) : JobEvent(ChoiceIndex);

/// <summary>The job could not run (the forward failed or the server is stopping).</summary>
public sealed record JobFailed(int ChoiceIndex, string Message) : JobEvent(ChoiceIndex);

/// <summary>Why a choice ended, as OpenAI names it.</summary>
public enum StopReason
{
    /// <summary>End-of-generation token or stop string ("stop").</summary>
    Stop,
    /// <summary>max_tokens or the context ("length").</summary>
    Length,
    /// <summary>The client went away or the request timed out.</summary>
    Cancelled,
}

/// <summary>Log-probability of the chosen token and of the most likely alternatives.</summary>
public sealed record TokenLogprobs(float Logprob, IReadOnlyList<(int TokenId, float Logprob)> Top);
