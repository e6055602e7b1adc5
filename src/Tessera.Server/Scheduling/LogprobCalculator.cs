using System.Numerics.Tensors;

namespace Tessera.Server.Scheduling;

/// <summary>
/// Log-probabilities from raw logits (the model's distribution, before sampling settings):
/// log p_i = logit_i - max - log(sum_j exp(logit_j - max)). Runs only for jobs that ask for logprobs.
/// </summary>
internal static class LogprobCalculator
{
    /// <summary>Logits exponentiated at a time in a stack buffer (4 KB), so the sum over the vocabulary runs as vector
    /// code without a vocabulary-sized buffer.</summary>
    private const int ChunkSize = 1024;

    public static TokenLogprobs Compute(ReadOnlySpan<float> logits, int chosen, int topCount)
    {
        float logNormaliser = LogSumExp(logits);

        // Keep the topCount largest in a small array sorted descending (topCount <= 20, so insertion is cheap).
        var top = new (int TokenId, float Logprob)[Math.Min(topCount, logits.Length)];
        int filled = 0;
        for (int id = 0; id < logits.Length && top.Length > 0; id++)
        {
            float value = logits[id] - logNormaliser;
            if (filled == top.Length && value <= top[filled - 1].Logprob)
                continue;
            int at = filled < top.Length ? filled++ : filled - 1;
            while (at > 0 && top[at - 1].Logprob < value)
            {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = (id, value);
        }
        return new TokenLogprobs(logits[chosen] - logNormaliser, top);
    }

    /// <summary>log(sum_j exp(logit_j)), computed as max + log(sum_j exp(logit_j - max)) so nothing overflows.</summary>
    private static float LogSumExp(ReadOnlySpan<float> logits)
    {
        float max = TensorPrimitives.Max(logits);
        Span<float> chunk = stackalloc float[ChunkSize];
        double sum = 0;
        for (int start = 0; start < logits.Length; start += ChunkSize)
        {
            var part = chunk[..Math.Min(ChunkSize, logits.Length - start)];
            TensorPrimitives.Subtract(logits.Slice(start, part.Length), max, part);
            TensorPrimitives.Exp(part, part);
            sum += TensorPrimitives.Sum(part);
        }
        return max + (float)Math.Log(sum);
    }
}
