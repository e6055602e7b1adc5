using System.Numerics.Tensors;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;

namespace Tessera.Models.Blocks;

/// <summary>
/// Mixture-of-experts feed-forward: the router scores every expert per token, softmax, the top k are kept (ties to
/// the lower expert id) and optionally renormalised to sum 1; output = sum over the chosen experts of
/// weight * SwiGLU_expert(n). Tokens are grouped by expert, so each expert runs once over all tokens routed to it
/// (a matrix-matrix product in prompt processing) and experts nobody chose are skipped.
/// </summary>
internal static class MoeBlock
{
    /// <param name="normed">[tokens, n_embd]</param>
    /// <param name="output">[tokens, n_embd]</param>
    public static void Forward(TransformerModel model, int layer, ReadOnlySpan<float> normed, int tokens, Span<float> output,
        ForwardScratch s, KernelThreadPool pool)
    {
        var hp = model.Hyperparameters;
        var w = model.Layers[layer];
        int embd = hp.EmbeddingLength;
        int experts = hp.ExpertCount;
        int used = hp.ExpertUsedCount;

        var router = s.RouterLogits.AsSpan(0, tokens * experts);     // [tokens, n_expert]
        Linear.Apply(w.Router!.Value, normed, tokens, router, pool);
        for (int t = 0; t < tokens; t++)
            Route(router.Slice(t * experts, experts), s.SelectedExperts.AsSpan(t * used, used), s.ExpertWeights.AsSpan(t * used, used),
                model.Options.NormalizeExpertWeights);

        output.Clear();
        var gate = w.ExpertGate!.Value;
        var up = w.ExpertUp!.Value;
        var down = w.ExpertDown!.Value;
        for (int e = 0; e < experts; e++)
        {
            int routed = 0;
            for (int t = 0; t < tokens; t++)
            {
                for (int j = 0; j < used; j++)
                {
                    if (s.SelectedExperts[t * used + j] != e)
                        continue;
                    s.ExpertTokens[routed] = t;
                    s.ExpertSlots[routed] = j;
                    normed.Slice(t * embd, embd).CopyTo(s.ExpertInput.AsSpan(routed * embd, embd));
                    routed++;
                }
            }
            if (routed == 0)
                continue;
            var expertOutput = s.ExpertOutput.AsSpan(0, routed * embd);   // [routed, n_embd]
            FeedForwardBlock.SwiGluFeedForward(gate.Expert(e, hp.ExpertFeedForwardLength), up.Expert(e, hp.ExpertFeedForwardLength),
                down.Expert(e, embd), s.ExpertInput.AsSpan(0, routed * embd), routed, s, expertOutput, pool);
            for (int i = 0; i < routed; i++)
            {
                int t = s.ExpertTokens[i];
                float weight = s.ExpertWeights[t * used + s.ExpertSlots[i]];
                var target = output.Slice(t * embd, embd);
                TensorPrimitives.MultiplyAdd(expertOutput.Slice(i * embd, embd), weight, target, target);
            }
        }
    }

    /// <summary>Softmax over <paramref name="logits"/> (in place), then the k most probable experts and their weights.</summary>
    private static void Route(Span<float> logits, Span<int> selected, Span<float> weights, bool normalize)
    {
        Softmax.Apply(logits);
        for (int j = 0; j < selected.Length; j++)
        {
            int best = -1;
            for (int e = 0; e < logits.Length; e++)
            {
                if (selected[..j].Contains(e))
                    continue;
                if (best < 0 || logits[e] > logits[best])
                    best = e;
            }
            selected[j] = best;
            weights[j] = logits[best];
        }
        if (normalize)
            TensorPrimitives.Divide(weights, TensorPrimitives.Sum(weights), weights);
    }
}
