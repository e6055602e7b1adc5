using Tessera.Gguf;
using Tessera.Kernels.Elementwise;

namespace Tessera.Models.Architectures;

/// <summary>`qwen3`: no projection biases; each query and key head is RMS-normalised (own weights) before NeoX RoPE.</summary>
public static class Qwen3
{
    public const string Name = "qwen3";

    public static TransformerOptions Options { get; } = new()
    {
        RopeStyle = RopeStyle.Neox,
        QkNorm = true,
    };

    public static TransformerModel Load(GgufFile file) => TransformerModel.Create(file, Name, Options, moe: false);
}
