using Tessera.Kernels.Elementwise;

namespace Tessera.Models;

/// <summary>How the experts' weights are derived from the router output.</summary>
public enum MoeGating
{
    /// <summary>Softmax over all experts, then the top k; optionally renormalised to sum 1.</summary>
    Softmax,
}

/// <summary>
/// The variations of the decoder-only transformer that architectures choose between. Set by the model file;
/// shared blocks read these instead of asking which architecture they run.
/// </summary>
public sealed record TransformerOptions
{
    /// <summary>Which dimensions RoPE rotates together.</summary>
    public RopeStyle RopeStyle { get; init; } = RopeStyle.Normal;

    /// <summary>Q, K and V projections carry biases (Qwen2).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Per-head RMS norm of Q and K before RoPE (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>How experts are chosen when the feed-forward is a mixture of experts.</summary>
    public MoeGating MoeGating { get; init; } = MoeGating.Softmax;

    /// <summary>Renormalise the selected experts' weights to sum 1.</summary>
    public bool NormalizeExpertWeights { get; init; } = true;
}
