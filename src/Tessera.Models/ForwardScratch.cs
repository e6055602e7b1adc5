namespace Tessera.Models;

/// <summary>
/// Activation buffers for forward passes of up to <see cref="MaxTokens"/> tokens, allocated once and reused so that
/// steady-state decoding allocates nothing. One scratch per concurrent forward.
/// </summary>
public sealed class ForwardScratch
{
    public ForwardScratch(Hyperparameters hp, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        MaxTokens = maxTokens;
        int embd = hp.EmbeddingLength;
        int widest = Math.Max(Math.Max(embd, hp.QueryLength), hp.IsMixtureOfExperts ? hp.ExpertFeedForwardLength : hp.FeedForwardLength);
        Hidden = new float[maxTokens * embd];
        Normed = new float[maxTokens * Math.Max(embd, hp.QueryLength)];
        Q = new float[maxTokens * hp.QueryLength];
        K = new float[maxTokens * hp.KvLength];
        V = new float[maxTokens * hp.KvLength];
        Projected = new float[maxTokens * embd];
        Gate = new float[maxTokens * widest];
        Up = new float[maxTokens * widest];
        if (hp.IsMixtureOfExperts)
        {
            RouterLogits = new float[maxTokens * hp.ExpertCount];
            SelectedExperts = new int[maxTokens * hp.ExpertUsedCount];
            ExpertWeights = new float[maxTokens * hp.ExpertUsedCount];
            ExpertTokens = new int[maxTokens];
            ExpertSlots = new int[maxTokens];
            ExpertInput = new float[maxTokens * embd];
            ExpertOutput = new float[maxTokens * embd];
        }
    }

    public int MaxTokens { get; }

    internal float[] Hidden { get; }          // [n_tokens, n_embd] residual stream
    internal float[] Normed { get; }          // [n_tokens, n_embd] normalised sub-block input; then [n_tokens, n_head * head_dim] attention output
    internal float[] Q { get; }               // [n_tokens, n_head * head_dim]
    internal float[] K { get; }               // [n_tokens, n_head_kv * head_dim]
    internal float[] V { get; }               // [n_tokens, n_head_kv * head_dim]
    internal float[] Projected { get; }       // [n_tokens, n_embd] sub-block output before the residual add
    internal float[] Gate { get; }            // [n_tokens, n_ff]
    internal float[] Up { get; }              // [n_tokens, n_ff]

    internal float[] RouterLogits { get; } = [];     // [n_tokens, n_expert]
    internal int[] SelectedExperts { get; } = [];    // [n_tokens, n_expert_used]
    internal float[] ExpertWeights { get; } = [];    // [n_tokens, n_expert_used]
    internal int[] ExpertTokens { get; } = [];       // [tokens routed to the current expert]
    internal int[] ExpertSlots { get; } = [];        // [same]: which of the token's k choices it is
    internal float[] ExpertInput { get; } = [];      // [tokens routed, n_embd]
    internal float[] ExpertOutput { get; } = [];     // [tokens routed, n_embd]
}
