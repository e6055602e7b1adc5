using Tessera.Kernels.Attention;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Models.Blocks;

/// <summary>
/// Self-attention sub-block: x += Wo · attention(rope(norm_q(Wq·n)), rope(norm_k(Wk·n)), Wv·n) with n = rmsnorm(x).
/// New keys and values go to the cache at their positions; each sequence's tokens attend to its own cache.
/// </summary>
internal static class AttentionBlock
{
    public static void Forward(TransformerModel model, int layer, TokenBatch batch, IKvCacheSeam cache, ForwardScratch s, KernelThreadPool pool)
    {
        var hp = model.Hyperparameters;
        var w = model.Layers[layer];
        int n = batch.Count;
        int embd = hp.EmbeddingLength;
        var x = s.Hidden.AsSpan(0, n * embd);                  // [n_tokens, n_embd]
        var normed = s.Normed.AsSpan(0, n * embd);             // [n_tokens, n_embd]
        var q = s.Q.AsSpan(0, n * hp.QueryLength);             // [n_tokens, n_head * head_dim]
        var k = s.K.AsSpan(0, n * hp.KvLength);                // [n_tokens, n_head_kv * head_dim]
        var v = s.V.AsSpan(0, n * hp.KvLength);                // [n_tokens, n_head_kv * head_dim]

        RmsNorm.ApplyRows(x, w.AttentionNorm, hp.RmsEpsilon, normed);
        model.TraceValues("attn_norm", layer, normed, n);
        Linear.ApplyShared(normed, n, pool, w.Q, q, w.K, k, w.V, v);
        if (w.QBias is not null)
        {
            Linear.AddBias(q, n, w.QBias);
            Linear.AddBias(k, n, w.KBias);
            Linear.AddBias(v, n, w.VBias);
        }
        if (w.QNorm is not null)
        {
            RmsNorm.ApplyRows(q, w.QNorm, hp.RmsEpsilon, q);
            RmsNorm.ApplyRows(k, w.KNorm!, hp.RmsEpsilon, k);
        }

        var rope = new RopeOptions(model.Options.RopeStyle, hp.RopeFrequencyBase, 1f, hp.RopeDimensions);
        var positions = batch.Positions;
        for (int t = 0; t < n; t++)
        {
            Rope.Apply(q.Slice(t * hp.QueryLength, hp.QueryLength), hp.HeadCount, hp.HeadDim, positions[t], rope);
            Rope.Apply(k.Slice(t * hp.KvLength, hp.KvLength), hp.KvHeadCount, hp.HeadDim, positions[t], rope);
        }
        model.TraceValues("q_rope", layer, q, n);
        model.TraceValues("k_rope", layer, k, n);

        var attention = s.Normed.AsSpan(0, n * hp.QueryLength);   // [n_tokens, n_head * head_dim]
        var sequences = batch.SequenceIds;
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && sequences[end] == sequences[start])
                end++;
            var view = cache.View(layer, sequences[start]);
            for (int t = start; t < end; t++)
                Store(view, positions[t], k.Slice(t * hp.KvLength, hp.KvLength), v.Slice(t * hp.KvLength, hp.KvLength));
            ScaledDotProductAttention.Compute(q[(start * hp.QueryLength)..(end * hp.QueryLength)], end - start, hp.HeadCount, view,
                positions[start], attention[(start * hp.QueryLength)..(end * hp.QueryLength)], pool);
            start = end;
        }
        model.TraceValues("attn_out", layer, attention, n);

        var projected = s.Projected.AsSpan(0, n * embd);       // [n_tokens, n_embd]
        Linear.Apply(w.Output, attention, n, projected, pool);
        System.Numerics.Tensors.TensorPrimitives.Add(x, projected, x);
    }

    /// <summary>Writes one token's keys and values [n_head_kv * head_dim] at <paramref name="position"/>.</summary>
    private static unsafe void Store(in KvCacheView view, int position, ReadOnlySpan<float> k, ReadOnlySpan<float> v)
    {
        if (view.Type == GgmlType.F16)
        {
            HalfConversion.ToHalf(k, new Span<ushort>(view.KeyRow(position, 0), k.Length));
            HalfConversion.ToHalf(v, new Span<ushort>(view.ValueRow(position, 0), v.Length));
        }
        else
        {
            k.CopyTo(new Span<float>(view.KeyRow(position, 0), k.Length));
            v.CopyTo(new Span<float>(view.ValueRow(position, 0), v.Length));
        }
    }
}
