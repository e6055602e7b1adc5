namespace Tessera.Runtime.Sampling;

/// <summary>
/// Settings of the sampler chain. Defaults follow common practice for chat models (temperature 0.8, top-k 40,
/// top-p 0.95, min-p 0.05, penalties off). A temperature of 0 or less means greedy: the most likely token after penalties
/// and bias, ties to the lowest id.
/// </summary>
public sealed record SamplerOptions
{
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep the k most likely tokens; 0 or less disables.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keep the most likely tokens whose probabilities sum to at least p; 1 disables.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Drop tokens less likely than min-p times the most likely one; 0 disables.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Divides positive (multiplies negative) logits of tokens seen in the window; 1 disables.</summary>
    public float RepeatPenalty { get; init; } = 1f;

    /// <summary>Subtracted once per occurrence in the window.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Subtracted once if the token occurs in the window.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Most recent tokens the penalties look at; 0 disables penalties, -1 means the whole history.</summary>
    public int PenaltyWindow { get; init; } = 64;

    /// <summary>Added to the logits of the given token ids before anything else.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>Random seed; the same seed gives the same choices. Null picks one at random.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Greedy decoding: temperature 0, nothing random.</summary>
    public static SamplerOptions Greedy { get; } = new() { Temperature = 0 };

    public bool IsGreedy => Temperature <= 0;
}
