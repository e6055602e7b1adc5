using Tessera.Models;
using Tessera.Runtime;

namespace Tessera.Testing;

/// <summary>
/// Decoding several sequences in one batch per step, as the server does: sequence s gets the prompt without its first
/// s tokens, then every step adds each sequence's greedy token. Linked into the test projects that run a context.
/// </summary>
public static class BatchedDecoding
{
    /// <param name="beforeDecoding">called once the prompts are in (to schedule a fault, say)</param>
    /// <returns>the tokens fed, step by step and sequence by sequence, and each step's logits [sequences, n_vocab]</returns>
    public static (List<int> Tokens, List<float[]> Logits) Run(InferenceContext context, IReadOnlyList<int> prompt, int sequences, int steps,
        Action? beforeDecoding = null)
    {
        int vocab = context.VocabularySize;
        var batch = new TokenBatch(Math.Max(prompt.Count, sequences));
        var logits = new float[sequences * vocab];
        var tokens = new List<int>();
        var stepLogits = new List<float[]>();
        var next = new int[sequences];
        var length = new int[sequences];
        for (int s = 0; s < sequences; s++)
        {
            batch.Clear();
            var own = prompt.Skip(s).ToArray();
            for (int i = 0; i < own.Length; i++)
                batch.Add(own[i], i, s, i == own.Length - 1);
            context.Forward(batch, logits.AsSpan(0, vocab));
            next[s] = Logits.ArgMax(logits.AsSpan(0, vocab));
            length[s] = own.Length;
        }
        beforeDecoding?.Invoke();
        for (int step = 0; step < steps; step++)
        {
            batch.Clear();
            for (int s = 0; s < sequences; s++)
            {
                tokens.Add(next[s]);
                batch.Add(next[s], length[s]++, s, true);
            }
            context.Forward(batch, logits);
            stepLogits.Add(logits.ToArray());
            for (int s = 0; s < sequences; s++)
                next[s] = Logits.ArgMax(logits.AsSpan(s * vocab, vocab));
        }
        return (tokens, stepLogits);
    }
}
