using Tessera.Gguf;
using Tessera.Kernels.Elementwise;

namespace Tessera.Models.Architectures;

/// <summary>`qwen2`: the llama block with biases on the Q, K and V projections and NeoX-style RoPE (rotating dimension i with i + d/2).</summary>
public static class Qwen2
{
    public const string Name = "qwen2";

    public static TransformerOptions Options { get; } = new()
    {
        RopeStyle = RopeStyle.Neox,
        AttentionBias = true,
    };

    public static TransformerModel Load(GgufFile file) => TransformerModel.Create(file, Name, Options, moe: false);
}
