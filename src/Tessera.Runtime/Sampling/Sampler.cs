namespace Tessera.Runtime.Sampling;

/// <summary>
/// Picks the next token from logits with the chain: logit bias -> repetition/frequency/presence penalties over the
/// recent history -> top-k -> top-p -> min-p -> temperature -> draw from the softmax (or argmax when greedy).
/// Keeps its candidate buffers between calls, so sampling allocates nothing per token. Not thread-safe.
/// </summary>
public sealed class Sampler
{
    private readonly SamplerOptions _options;
    private readonly float[] _logits;         // [n_vocab] working copy
    private readonly int[] _candidates;       // [n_vocab] ids, the first _count are alive, sorted by logit after top-k
    private readonly float[] _probabilities;  // [n_vocab] of the sorted candidates
    private readonly Dictionary<int, int> _occurrences = [];
    private readonly Random _random;
    private readonly Comparer<int> _byLogit;   // descending logit, ties to the lower id

    public Sampler(SamplerOptions options, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        if (options.TopP is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.TopP, "top-p must be in (0, 1]");
        if (options.MinP is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MinP, "min-p must be in [0, 1]");
        if (options.RepeatPenalty <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.RepeatPenalty, "repeat penalty must be positive");
        if (options.LogitBias is { } bias && bias.Keys.Any(id => id < 0 || id >= vocabularySize))
            throw new ArgumentOutOfRangeException(nameof(options), $"logit bias names token {bias.Keys.First(id => id < 0 || id >= vocabularySize)}, outside the vocabulary of {vocabularySize}");
        _options = options;
        _logits = new float[vocabularySize];
        _candidates = new int[vocabularySize];
        _probabilities = new float[vocabularySize];
        // A fixed-seed Random is a deterministic generator across runs of the same runtime.
        _byLogit = Comparer<int>.Create((a, b) => _logits[b].CompareTo(_logits[a]) is var c && c != 0 ? c : a.CompareTo(b));
        _random = options.Seed is { } seed ? new Random((int)(seed ^ (seed >> 32))) : new Random();
    }

    public SamplerOptions Options => _options;

    /// <summary>Chooses the next token given the logits and the tokens so far (prompt and generated).</summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        if (logits.Length != _logits.Length)
            throw new ArgumentException($"logits have {logits.Length} entries, the vocabulary {_logits.Length}", nameof(logits));
        logits.CopyTo(_logits);
        if (_options.LogitBias is { } bias)
        {
            foreach (var (id, value) in bias)
                _logits[id] += value;
        }
        ApplyPenalties(history);
        if (_options.IsGreedy)
            return ArgMax(_logits);

        int count = TopK();
        count = TopP(count);
        count = MinP(count);
        return Draw(count);
    }

    /// <summary>Index of the largest logit, ties to the lowest id.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }

    private void ApplyPenalties(ReadOnlySpan<int> history)
    {
        int window = _options.PenaltyWindow < 0 ? history.Length : Math.Min(_options.PenaltyWindow, history.Length);
        if (window == 0 || (_options.RepeatPenalty == 1 && _options.FrequencyPenalty == 0 && _options.PresencePenalty == 0))
            return;
        _occurrences.Clear();
        foreach (int id in history[^window..])
        {
            if ((uint)id < (uint)_logits.Length)
                _occurrences[id] = _occurrences.GetValueOrDefault(id) + 1;
        }
        foreach (var (id, occurrences) in _occurrences)
        {
            ref float logit = ref _logits[id];
            logit = logit > 0 ? logit / _options.RepeatPenalty : logit * _options.RepeatPenalty;
            logit -= occurrences * _options.FrequencyPenalty + _options.PresencePenalty;
        }
    }

    /// <summary>Sorts the candidates by logit (descending, ties to the lower id), keeping the top k.</summary>
    private int TopK()
    {
        int vocab = _logits.Length;
        int k = _options.TopK <= 0 ? vocab : Math.Min(_options.TopK, vocab);
        for (int i = 0; i < vocab; i++)
            _candidates[i] = i;
        var logits = _logits;
        if (k < vocab)
        {
            // Selection: keep a sorted prefix of k ids; replace its last when a larger logit turns up.
            Array.Sort(_candidates, 0, k, _byLogit);
            for (int i = k; i < vocab; i++)
            {
                if (logits[i] <= logits[_candidates[k - 1]])
                    continue;
                int j = k - 1;
                while (j > 0 && logits[_candidates[j - 1]] < logits[i])
                {
                    _candidates[j] = _candidates[j - 1];
                    j--;
                }
                _candidates[j] = i;
            }
        }
        else
        {
            Array.Sort(_candidates, 0, vocab, _byLogit);
        }
        return k;
    }

    /// <summary>Softmax of the first <paramref name="count"/> sorted candidates at temperature 1 into _probabilities.</summary>
    private void Probabilities(int count, float temperature)
    {
        float max = _logits[_candidates[0]];
        float sum = 0;
        for (int i = 0; i < count; i++)
        {
            float p = MathF.Exp((_logits[_candidates[i]] - max) / temperature);
            _probabilities[i] = p;
            sum += p;
        }
        for (int i = 0; i < count; i++)
            _probabilities[i] /= sum;
    }

    private int TopP(int count)
    {
        if (_options.TopP >= 1)
            return count;
        Probabilities(count, 1);
        float cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += _probabilities[i];
            if (cumulative >= _options.TopP)
                return i + 1;
        }
        return count;
    }

    private int MinP(int count)
    {
        if (_options.MinP <= 0)
            return count;
        // p_i >= minP * p_max  <=>  logit_i >= logit_max + ln(minP)
        float threshold = _logits[_candidates[0]] + MathF.Log(_options.MinP);
        int kept = 1;
        while (kept < count && _logits[_candidates[kept]] >= threshold)
            kept++;
        return kept;
    }

    private int Draw(int count)
    {
        Probabilities(count, _options.Temperature);
        double target = _random.NextDouble();
        double cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += _probabilities[i];
            if (target < cumulative)
                return _candidates[i];
        }
        return _candidates[count - 1];
    }
}
