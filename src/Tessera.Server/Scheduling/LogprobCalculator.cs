namespace Tessera.Server.Scheduling;

/// <summary>
/// Log-probabilities from raw logits (the model's distribution, before sampling settings):
/// log p_i = logit_i - max - log(sum_j exp(logit_j - max)).
/// </summary>
internal static class LogprobCalculator
{
    public static TokenLogprobs Compute(ReadOnlySpan<float> logits, int chosen, int topCount)
    {
        float max = float.NegativeInfinity;
        foreach (float logit in logits)
            max = Math.Max(max, logit);
        double sum = 0;
        foreach (float logit in logits)
            sum += Math.Exp(logit - max);
        float logNormaliser = max + (float)Math.Log(sum);

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
}
