using Tessera.Gguf;
using Tessera.Kernels.Elementwise;

namespace Tessera.Models.Architectures;

/// <summary>
/// `llama`: Llama 2/3, TinyLlama, Mistral and, when `llama.expert_count` is set, Mixtral. Pre-RMS-norm blocks,
/// RoPE on adjacent pairs, grouped-query attention, SwiGLU feed-forward (or softmax-routed SwiGLU experts whose
/// selected weights are renormalised), output tied to the embedding when `output.weight` is absent.
/// </summary>
public static class Llama
{
    public const string Name = "llama";

    public static TransformerOptions Options { get; } = new()
    {
        RopeStyle = RopeStyle.Normal,
        MoeGating = MoeGating.Softmax,
        NormalizeExpertWeights = true,
    };

    public static TransformerModel Load(GgufFile file)
    {
        bool moe = (file.Metadata.GetIntegerOrNull(GgufKeys.ForArch(GgufKeys.ExpertCount, Name)) ?? 0) > 0;
        return TransformerModel.Create(file, Name, ExpertWeightsNorm.Apply(file.Metadata, Name, Options), moe);
    }
}
