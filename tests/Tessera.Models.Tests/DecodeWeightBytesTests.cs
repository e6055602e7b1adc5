using Tessera.Gguf;
using Tessera.Testing;

namespace Tessera.Models.Tests;

/// <summary><see cref="TransformerModel.DecodeWeightBytes"/>, the weight traffic of a decode token that
/// `tessera bench --bandwidth` sets against the machine's read rate, checked against the file's own tensor sizes.</summary>
public sealed class DecodeWeightBytesTests
{
    [Theory]
    [InlineData("stories260K.gguf")]
    [InlineData("syn-llama-Q4_K_M.gguf")]
    [InlineData("syn-qwen2-Q8_0.gguf")]
    [InlineData("syn-mixtral-Q4_0.gguf")]
    [InlineData("syn-qwen3moe-Q8_0.gguf")]
    public void Every_matrix_counts_once_and_experts_in_proportion_to_those_a_token_uses(string file)
    {
        using var model = ModelLoader.Load(SharedData.Model(file));
        var hp = model.Hyperparameters;
        bool tied = model.File.FindTensor("output.weight") is null;
        double expected = 0;
        foreach (var tensor in model.File.Tensors)
        {
            if (tensor.DimensionCount < 2 || (tensor.Name == "token_embd.weight" && !tied))
                continue;
            bool expert = tensor.Name.Contains("_exps.", StringComparison.Ordinal);
            expected += expert ? (double)tensor.ByteSize * hp.ExpertUsedCount / hp.ExpertCount : tensor.ByteSize;
        }
        Assert.True(expected > 0);
        // Each expert tensor's share is rounded down to whole experts' bytes: at most a byte per tensor off.
        Assert.InRange(model.DecodeWeightBytes, expected - model.File.Tensors.Count, expected + 1);
    }
}
