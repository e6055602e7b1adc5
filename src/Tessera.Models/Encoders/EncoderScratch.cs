namespace Tessera.Models.Encoders;

/// <summary>Host activation buffers for encoder passes of up to <see cref="MaxTokens"/> tokens; one per concurrent forward.</summary>
public sealed class EncoderScratch
{
    public EncoderScratch(EncoderHyperparameters hp, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        MaxTokens = maxTokens;
        int embd = hp.EmbeddingLength;
        Hidden = new float[maxTokens * embd];
        Q = new float[maxTokens * embd];
        K = new float[maxTokens * embd];
        V = new float[maxTokens * embd];
        Attention = new float[maxTokens * embd];
        Projected = new float[maxTokens * embd];
        Up = new float[maxTokens * hp.FeedForwardLength];
        Row = new float[embd];
    }

    public int MaxTokens { get; }

    internal float[] Hidden { get; }      // [n_tokens, n_embd] residual stream
    internal float[] Q { get; }           // [n_tokens, n_head * head_dim]
    internal float[] K { get; }           // [n_tokens, n_head * head_dim]
    internal float[] V { get; }           // [n_tokens, n_head * head_dim]
    internal float[] Attention { get; }   // [n_tokens, n_head * head_dim]
    internal float[] Projected { get; }   // [n_tokens, n_embd] sub-block output before the residual add
    internal float[] Up { get; }          // [n_tokens, n_ff]
    internal float[] Row { get; }         // [n_embd] one position embedding row
}
