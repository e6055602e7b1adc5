using Tessera.Runtime;

namespace Tessera.Cli.Run;

/// <summary>
/// Perplexity over chunks of text: each chunk of n tokens is evaluated from an empty context (its first token replaced
/// by BOS when the vocabulary adds one), and only the second half is scored: the logits at positions n/2..n-2 predict
/// tokens n/2+1..n-1, so every scored token sees at least n/2 tokens of context.
/// PPL = exp(mean NLL); its error is PPL times the standard error of the mean NLL.
/// </summary>
public sealed class PerplexityScorer(Session session, int chunkSize, int? bosId)
{
    private double _negativeLogLikelihood;
    private double _squares;

    public int Scored { get; private set; }

    public double Perplexity => Math.Exp(_negativeLogLikelihood / Scored);

    /// <summary>Standard error of <see cref="Perplexity"/> (0 until two tokens are scored).</summary>
    public double Error
    {
        get
        {
            double mean = _negativeLogLikelihood / Scored;
            double variance = _squares / Scored - mean * mean;
            return Scored > 1 && variance > 0 ? Math.Sqrt(variance / (Scored - 1)) * Perplexity : 0;
        }
    }

    /// <summary>Scores one chunk of exactly <c>chunkSize</c> tokens.</summary>
    public void Score(ReadOnlySpan<int> chunk, float[] logits, int vocabularySize)
    {
        if (chunk.Length != chunkSize)
            throw new ArgumentException($"chunk has {chunk.Length} tokens, expected {chunkSize}", nameof(chunk));
        int[] tokens = chunk.ToArray();
        if (bosId is { } bos)
            tokens[0] = bos;
        session.Clear();
        int first = chunkSize / 2;
        session.Append(tokens, logits, first);
        for (int position = first; position < chunkSize - 1; position++)
        {
            double logProbability = LogSoftmaxAt(logits.AsSpan((position - first) * vocabularySize, vocabularySize), tokens[position + 1]);
            _negativeLogLikelihood -= logProbability;
            _squares += logProbability * logProbability;
            Scored++;
        }
    }

    private static double LogSoftmaxAt(ReadOnlySpan<float> logits, int target)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        double sum = 0;
        foreach (float logit in logits)
            sum += Math.Exp(logit - max);
        return logits[target] - max - Math.Log(sum);
    }
}
