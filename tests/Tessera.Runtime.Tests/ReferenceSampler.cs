using Tessera.Runtime.Sampling;

namespace Tessera.Runtime.Tests;

/// <summary>
/// The sampler chain done the slow, obviously correct way, in double precision: rank the whole vocabulary by logit
/// (descending, ties to the lower id), cut with top-k, then top-p (temperature-1 probabilities over what top-k left),
/// then min-p, and take the softmax at the temperature over what is left. No bias or penalties.
/// </summary>
internal sealed class ReferenceSampler
{
    private readonly float[] _logits;
    private readonly int[] _ranked;

    public ReferenceSampler(float[] logits)
    {
        _logits = logits;
        _ranked = Enumerable.Range(0, logits.Length).OrderByDescending(id => logits[id]).ThenBy(id => id).ToArray();
    }

    /// <summary>Ids ranked best first.</summary>
    public IReadOnlyList<int> Ranked => _ranked;

    /// <summary>How many of the ranked ids survive top-k, top-p and min-p.</summary>
    public int Survivors(SamplerOptions options)
    {
        int n = _ranked.Length;
        int kept = options.TopK > 0 && options.TopK < n ? options.TopK : n;
        double top = _logits[_ranked[0]];
        if (options.TopP < 1)
        {
            double total = 0;
            for (int i = 0; i < kept; i++)
                total += Math.Exp(_logits[_ranked[i]] - top);
            double cumulative = 0;
            int reached = 0;
            while (reached < kept && cumulative < options.TopP)
                cumulative += Math.Exp(_logits[_ranked[reached++]] - top) / total;
            kept = reached;
        }
        if (options.MinP > 0)
        {
            double threshold = top + Math.Log(options.MinP);
            int above = 0;
            while (above < kept && _logits[_ranked[above]] >= threshold)
                above++;
            kept = above;
        }
        return kept;
    }

    /// <summary>Probability of each id when the best <paramref name="survivors"/> are kept, at the temperature.</summary>
    public double[] Distribution(int survivors, float temperature)
    {
        var probabilities = new double[_logits.Length];
        double top = _logits[_ranked[0]], total = 0;
        for (int i = 0; i < survivors; i++)
            total += probabilities[_ranked[i]] = Math.Exp((_logits[_ranked[i]] - top) / temperature);
        for (int i = 0; i < survivors; i++)
            probabilities[_ranked[i]] /= total;
        return probabilities;
    }
}
