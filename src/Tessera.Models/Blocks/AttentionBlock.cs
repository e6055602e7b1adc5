using Tessera.Devices;
using Tessera.Kernels.Elementwise;
using Tessera.Models.Placement;

namespace Tessera.Models.Blocks;

/// <summary>
/// Self-attention sub-block: x += Wo · attention(rope(norm_q(Wq·n)), rope(norm_k(Wk·n)), Wv·n) with n = rmsnorm(x).
/// New keys and values go to the layer's cache at their positions (through the sequence's page table); each sequence's
/// tokens attend to its own positions.
/// Every step is an operation of the device the sub-block is placed on.
/// </summary>
internal static class AttentionBlock
{
    /// <param name="addResidual">false: x += Wo · attention is left to the caller, whose next block adds s.Projected
    /// fused with its norm (<see cref="ComputeDevice.AddRmsNorm"/>)</param>
    public static void Forward(TransformerModel model, int layer, PlacedAttention w, TokenBatch batch, IKvCacheSeam kv, DeviceScratch s,
        bool addResidual = true)
    {
        var hp = model.Hyperparameters;
        var device = w.Device;
        int n = batch.Count;
        int embd = hp.EmbeddingLength;
        var x = s.Hidden.Slice(0, n * embd);                   // [n_tokens, n_embd]
        var normed = s.Normed.Slice(0, n * embd);              // [n_tokens, n_embd]
        var q = s.Q.Slice(0, n * hp.QueryLength);              // [n_tokens, n_head * head_dim]
        var k = s.K.Slice(0, n * hp.KvLength);                 // [n_tokens, n_head_kv * head_dim]
        var v = s.V.Slice(0, n * hp.KvLength);                 // [n_tokens, n_head_kv * head_dim]
        var cache = kv.Layer(layer);
        if (cache.Device != device)
            throw new InvalidOperationException($"layer {layer}: its KV cache is on {cache.Device.Name}, its attention on {device.Name}");

        device.RmsNorm(x, w.Norm, hp.RmsEpsilon, normed);
        model.TraceValues("attn_norm", layer, normed, n);
        var rope = new RopeOptions(model.Options.RopeStyle, hp.RopeFrequencyBase, 1f, hp.RopeDimensions);
        var positions = batch.Positions;
        // RoPE goes into the q/k products' write when nothing comes between them (no bias or q/k norm) and the batch's
        // positions run on from one start.
        bool ropeInWrite = w.QBias is null && w.QNorm is null && batch.RunCount == 1;
        var rotary = ropeInWrite ? new RotaryOutput(hp.HeadDim, positions[0], rope) : default;
        device.LinearShared(normed, n, [new(w.Q, q, rotary), new(w.K, k, rotary), new(w.V, v)]);
        if (w.QBias is not null)
        {
            device.AddRows(q, w.QBias);
            device.AddRows(k, w.KBias!);
            device.AddRows(v, w.VBias!);
        }
        if (w.QNorm is not null)
        {
            device.RmsNorm(q, w.QNorm, hp.RmsEpsilon, q);
            device.RmsNorm(k, w.KNorm!, hp.RmsEpsilon, k);
        }

        if (!ropeInWrite)
        {
            for (int r = 0; r < batch.RunCount; r++)
            {
                var (start, end) = batch.Run(r);
                int count = end - start;
                device.Rope(q.Slice(start * hp.QueryLength, count * hp.QueryLength), count, hp.HeadCount, hp.HeadDim, positions[start], rope);
                device.Rope(k.Slice(start * hp.KvLength, count * hp.KvLength), count, hp.KvHeadCount, hp.HeadDim, positions[start], rope);
            }
        }
        model.TraceValues("q_rope", layer, q, n);
        model.TraceValues("k_rope", layer, k, n);

        var attention = s.Normed.Slice(0, n * hp.QueryLength);   // [n_tokens, n_head * head_dim]
        for (int r = 0; r < batch.RunCount; r++)
        {
            var (start, end) = batch.Run(r);
            int count = end - start;
            int sequence = batch.SequenceIds[start];
            device.Attention(cache, kv.SequenceType(sequence), kv.Pages(sequence), positions[start], count, hp.HeadCount,
                q.Slice(start * hp.QueryLength, count * hp.QueryLength), k.Slice(start * hp.KvLength, count * hp.KvLength),
                v.Slice(start * hp.KvLength, count * hp.KvLength), attention.Slice(start * hp.QueryLength, count * hp.QueryLength));
        }
        model.TraceValues("attn_out", layer, attention, n);

        var projected = s.Projected.Slice(0, n * embd);        // [n_tokens, n_embd]
        device.Linear(w.Output, attention, n, projected);
        if (addResidual)
            device.Add(x, projected);
    }
}
