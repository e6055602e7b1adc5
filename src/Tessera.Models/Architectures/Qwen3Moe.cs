using Tessera.Gguf;
using Tessera.Kernels.Elementwise;

namespace Tessera.Models.Architectures;

/// <summary>
/// `qwen3moe`: the qwen3 attention (Q/K norms, NeoX RoPE) with a mixture-of-experts feed-forward in every layer:
/// softmax router, top `expert_used_count` experts of width `expert_feed_forward_length`, weights renormalised to sum 1
/// unless `qwen3moe.expert_weights_norm` says otherwise.
/// </summary>
public static class Qwen3Moe
{
    public const string Name = "qwen3moe";

    public static TransformerOptions Options { get; } = new()
    {
        RopeStyle = RopeStyle.Neox,
        QkNorm = true,
        MoeGating = MoeGating.Softmax,
        NormalizeExpertWeights = true,
    };

    public static TransformerModel Load(GgufFile file) =>
        TransformerModel.Create(file, Name, ExpertWeightsNorm.Apply(file.Metadata, Name, Options), moe: true);
}
