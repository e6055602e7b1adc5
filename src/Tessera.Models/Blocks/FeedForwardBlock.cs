using System.Numerics.Tensors;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;

namespace Tessera.Models.Blocks;

/// <summary>Dense SwiGLU feed-forward sub-block: x += W_down · (silu(W_gate · n) * (W_up · n)) with n = rmsnorm(x).</summary>
internal static class FeedForwardBlock
{
    public static void Forward(TransformerModel model, int layer, int n, ForwardScratch s, KernelThreadPool pool)
    {
        var hp = model.Hyperparameters;
        var w = model.Layers[layer];
        int embd = hp.EmbeddingLength;
        var x = s.Hidden.AsSpan(0, n * embd);                  // [n_tokens, n_embd]
        var normed = s.Normed.AsSpan(0, n * embd);             // [n_tokens, n_embd]
        RmsNorm.ApplyRows(x, w.FeedForwardNorm, hp.RmsEpsilon, normed);
        model.TraceValues("ffn_norm", layer, normed, n);

        var projected = s.Projected.AsSpan(0, n * embd);       // [n_tokens, n_embd]
        if (hp.IsMixtureOfExperts)
            MoeBlock.Forward(model, layer, normed, n, projected, s, pool);
        else
            SwiGluFeedForward(w.Gate!.Value, w.Up!.Value, w.Down!.Value, normed, n, s, projected, pool);
        model.TraceValues("ffn_out", layer, projected, n);
        TensorPrimitives.Add(x, projected, x);
    }

    /// <param name="input">[tokens, n_embd]</param>
    /// <param name="output">[tokens, n_embd]</param>
    public static void SwiGluFeedForward(in WeightMatrix gateWeight, in WeightMatrix upWeight, in WeightMatrix downWeight,
        ReadOnlySpan<float> input, int tokens, ForwardScratch s, Span<float> output, KernelThreadPool pool)
    {
        int width = (int)gateWeight.Rows;
        var gate = s.Gate.AsSpan(0, tokens * width);           // [tokens, n_ff]
        var up = s.Up.AsSpan(0, tokens * width);               // [tokens, n_ff]
        Linear.ApplyShared(input, tokens, pool, gateWeight, gate, upWeight, up);
        SwiGlu.Apply(gate, up, gate);
        Linear.Apply(downWeight, gate, tokens, output, pool);
    }
}
