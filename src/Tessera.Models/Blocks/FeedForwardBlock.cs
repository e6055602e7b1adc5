using Tessera.Devices;
using Tessera.Models.Experts;
using Tessera.Models.Placement;

namespace Tessera.Models.Blocks;

/// <summary>Dense SwiGLU feed-forward sub-block: x += W_down · (silu(W_gate · n) * (W_up · n)) with n = rmsnorm(x).</summary>
internal static class FeedForwardBlock
{
    /// <param name="residualPending">true: the attention's output (s.Projected) is still to be added to x, which is
    /// done fused with this block's norm</param>
    public static void Forward(TransformerModel model, int layer, PlacedFeedForward w, int n, DeviceScratch s, ForwardScratch host,
        MoeSchedule schedule, ExpertStatistics? statistics, DeviceExperts? deviceExperts, bool residualPending = false)
    {
        var hp = model.Hyperparameters;
        var device = w.Device;
        int embd = hp.EmbeddingLength;
        var x = s.Hidden.Slice(0, n * embd);                   // [n_tokens, n_embd]
        var normed = s.Normed.Slice(0, n * embd);              // [n_tokens, n_embd]
        var projected = s.Projected.Slice(0, n * embd);        // [n_tokens, n_embd]
        if (residualPending)
            device.AddRmsNorm(x, projected, w.Norm, hp.RmsEpsilon, normed);
        else
            device.RmsNorm(x, w.Norm, hp.RmsEpsilon, normed);
        model.TraceValues("ffn_norm", layer, normed, n);

        if (hp.IsMixtureOfExperts)
            MoeBlock.Forward(model, layer, w, normed, n, projected, s, host, schedule, statistics, deviceExperts);
        else
            SwiGluFeedForward(device, w.Gate!, w.Up!, w.Down!, normed, n, s, projected);
        model.TraceValues("ffn_out", layer, projected, n);
        device.Add(x, projected);
    }

    /// <param name="input">[tokens, n_embd]</param>
    /// <param name="output">[tokens, n_embd]</param>
    public static void SwiGluFeedForward(ComputeDevice device, MatrixRows gateWeight, MatrixRows upWeight, MatrixRows downWeight,
        DeviceSpan input, int tokens, DeviceScratch s, DeviceSpan output)
    {
        int width = gateWeight.Count;
        var gate = s.Gate.Slice(0, tokens * width);            // [tokens, n_ff]
        var up = s.Up.Slice(0, tokens * width);                // [tokens, n_ff]
        device.LinearShared(input, tokens, [new(gateWeight, gate), new(upWeight, up)]);
        device.LinearGated(downWeight, gate, up, tokens, output);
    }
}
