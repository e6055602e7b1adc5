using System.Numerics.Tensors;

namespace Tessera.Runtime.Sampling;

/// <summary>
/// Picks the next token from logits with the chain: logit bias -> repetition/frequency/presence penalties over the
/// recent history -> top-k -> top-p -> min-p -> temperature -> draw from the softmax (or argmax when greedy).
/// <para>
/// Top-k, top-p and min-p each keep a prefix of the vocabulary ranked by logit (descending, ties to the lower id), so
/// the survivors are "every id ranked at or above one boundary" and the vocabulary is never sorted: top-k selects its
/// k with a bounded heap (top-p then walks those k), top-p alone buckets the probability mass and sorts only the bucket
/// where it reaches p, and min-p is the threshold logit >= max + ln(min_p). Top-p's probabilities are those at
/// temperature 1 over what top-k left.
/// </para>
/// <para>
/// The draw: the survivors' weights exp((logit - max) / temperature) are laid end to end in increasing id order and
/// u * (their sum), with u the generator's next double in [0, 1), falls into one of them. One random number per
/// token, so the same seed gives the same tokens.
/// </para>
/// NaN logits count as -inf; a largest logit that is not finite (all -inf, or +inf) makes the choice the argmax.
/// Keeps its buffers between calls, so sampling allocates nothing per token. Not thread-safe.
/// </summary>
public sealed class Sampler
{
    private readonly SamplerOptions _options;
    private readonly int[] _biasIds;          // logit bias as arrays: enumerating the dictionary would allocate per token
    private readonly float[] _biasValues;
    private readonly float[] _logits;         // [n_vocab] working copy after bias and penalties
    private readonly float[] _weights;        // [n_vocab] the survivors' logits, then their softmax weights, in id order
    private readonly int[] _ids;              // [n_vocab] the survivors' ids; before that top-k's ranking or top-p's scratch
    private readonly TopPSearch? _topP;       // top-p over the whole vocabulary (no top-k)
    private readonly Dictionary<int, int> _occurrences = [];
    private readonly Random _random;

    public Sampler(SamplerOptions options, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        if (float.IsNaN(options.Temperature))
            throw new ArgumentOutOfRangeException(nameof(options), options.Temperature, "temperature must be a number");
        if (options.TopP is not (> 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.TopP, "top-p must be in (0, 1]");
        if (options.MinP is not (>= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.MinP, "min-p must be in [0, 1]");
        if (options.RepeatPenalty <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.RepeatPenalty, "repeat penalty must be positive");
        if (options.LogitBias is { } bias && bias.Keys.Any(id => id < 0 || id >= vocabularySize))
            throw new ArgumentOutOfRangeException(nameof(options), $"logit bias names token {bias.Keys.First(id => id < 0 || id >= vocabularySize)}, outside the vocabulary of {vocabularySize}");
        _options = options;
        _biasIds = options.LogitBias?.Keys.ToArray() ?? [];
        _biasValues = options.LogitBias?.Values.ToArray() ?? [];
        _logits = new float[vocabularySize];
        _weights = new float[vocabularySize];
        _ids = new int[vocabularySize];
        if (!UsesTopK && options.TopP < 1)
            _topP = new TopPSearch(_weights, _ids);   // used before the survivors are collected into them
        // A fixed-seed Random is a deterministic generator across runs of the same runtime.
        _random = options.Seed is { } seed ? new Random((int)(seed ^ (seed >> 32))) : new Random();
    }

    public SamplerOptions Options => _options;

    private bool UsesTopK => _options.TopK > 0 && _options.TopK < _logits.Length;

    /// <summary>Chooses the next token given the logits and the tokens so far (prompt and generated).</summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        var weighed = Weigh(logits, history);
        if (weighed.Weights.IsEmpty)
            return weighed.Chosen;
        int index = WeightedChoice.Pick(weighed.Weights, _random.NextDouble());
        return weighed.Ids.IsEmpty ? index : weighed.Ids[index];
    }

    /// <summary>The distribution <see cref="Sample"/> draws from for these logits and history, as one probability per
    /// id (zero for ids cut by top-k, top-p or min-p; one-hot when greedy). Draws nothing.</summary>
    internal void Distribution(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, Span<float> probabilities)
    {
        var weighed = Weigh(logits, history);
        probabilities.Clear();
        if (weighed.Weights.IsEmpty)
        {
            probabilities[weighed.Chosen] = 1;
            return;
        }
        double total = 0;
        foreach (float weight in weighed.Weights)
            total += weight;
        for (int i = 0; i < weighed.Weights.Length; i++)
            probabilities[weighed.Ids.IsEmpty ? i : weighed.Ids[i]] = (float)(weighed.Weights[i] / total);
    }

    /// <summary>What the draw works on: the survivors' softmax weights at the temperature, in increasing id order, and
    /// their ids (empty when every id survives, so weight i is id i's); or, when nothing is drawn, the chosen id.</summary>
    private readonly ref struct Weighed(int chosen, Span<float> weights, ReadOnlySpan<int> ids)
    {
        public int Chosen { get; } = chosen;
        public Span<float> Weights { get; } = weights;
        public ReadOnlySpan<int> Ids { get; } = ids;
    }

    /// <summary>The chain up to the draw.</summary>
    private Weighed Weigh(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        if (logits.Length != _logits.Length)
            throw new ArgumentException($"logits have {logits.Length} entries, the vocabulary {_logits.Length}", nameof(logits));
        logits.CopyTo(_logits);
        for (int i = 0; i < _biasIds.Length; i++)
            _logits[_biasIds[i]] += _biasValues[i];
        ApplyPenalties(history);
        if (_options.IsGreedy)
            return new Weighed(ArgMax(_logits), [], []);

        float max = MaxWithNaNAsNegativeInfinity();
        if (!float.IsFinite(max))
            return new Weighed(ArgMax(_logits), [], []);
        var prefix = UsesTopK ? TopKThenTopP() : _topP?.Find(_logits, max, _options.TopP) ?? SortedPrefix.Everything;
        if (prefix.IsEverything && _options.MinP <= 0)
            return new Weighed(-1, ToWeights(_logits, max), []);   // every id survives: the working copy is their logits
        float minLogit = _options.MinP > 0 ? max + MathF.Log(_options.MinP) : float.NegativeInfinity;
        int count = CollectSurvivors(prefix, minLogit);
        return new Weighed(-1, ToWeights(_weights.AsSpan(0, count), max), _ids.AsSpan(0, count));
    }

    /// <summary>Index of the largest logit, ties to the lowest id (+0 and -0 tie); NaN is never the largest unless all are NaN.</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
            throw new ArgumentException("there are no logits to choose from", nameof(logits));
        float max = TensorPrimitives.Max(logits);   // NaN when any is NaN
        if (float.IsNaN(max))
            return ArgMaxSkippingNaN(logits);
        var scan = new ThresholdScan(logits, max);
        scan.MoveNext();   // the first value >= max is the first equal to it
        return scan.Current;
    }

    private static int ArgMaxSkippingNaN(ReadOnlySpan<float> logits)
    {
        int best = -1;
        for (int id = 0; id < logits.Length; id++)
        {
            if (!float.IsNaN(logits[id]) && (best < 0 || logits[id] > logits[best]))
                best = id;
        }
        return Math.Max(best, 0);
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

    /// <summary>The largest logit, after replacing NaN logits by -inf (so every later comparison is a total order).</summary>
    private float MaxWithNaNAsNegativeInfinity()
    {
        float max = TensorPrimitives.Max(_logits);
        if (!float.IsNaN(max))
            return max;
        foreach (ref float logit in _logits.AsSpan())
        {
            if (float.IsNaN(logit))
                logit = float.NegativeInfinity;
        }
        return TensorPrimitives.Max(_logits);
    }

    /// <summary>The top k ranked, then the shortest of their prefixes whose probabilities (temperature 1, over the k) reach top-p.</summary>
    private SortedPrefix TopKThenTopP()
    {
        var ranked = _ids.AsSpan(0, _options.TopK);
        TopKSelection.Select(_logits, ranked);
        int kept = ranked.Length;
        if (_options.TopP < 1)
        {
            float top = _logits[ranked[0]];
            var weights = _weights.AsSpan(0, ranked.Length);
            double total = 0;
            for (int i = 0; i < ranked.Length; i++)
                total += weights[i] = MathF.Exp(_logits[ranked[i]] - top);
            double target = _options.TopP * total, cumulative = 0;
            kept = 0;
            while (kept < ranked.Length && cumulative < target)
                cumulative += weights[kept++];
        }
        int last = ranked[kept - 1];
        return new SortedPrefix(_logits[last], last);
    }

    /// <summary>Ids inside the prefix with logit >= <paramref name="minLogit"/> (min-p), in increasing order, into _ids and
    /// their logits into _weights; returns how many. The largest logit always survives.</summary>
    private int CollectSurvivors(SortedPrefix prefix, float minLogit)
    {
        ReadOnlySpan<float> logits = _logits;
        int count = 0;
        var scan = new ThresholdScan(logits, Math.Max(prefix.Logit, minLogit));
        while (scan.MoveNext())
        {
            int id = scan.Current;
            float logit = logits[id];
            if (logit >= minLogit && prefix.Contains(logit, id))
            {
                _ids[count] = id;
                _weights[count++] = logit;
            }
        }
        return count;
    }

    /// <summary>Turns the survivors' logits into softmax weights exp((logit - max) / temperature), in place.</summary>
    private Span<float> ToWeights(Span<float> survivors, float max)
    {
        TensorPrimitives.Subtract(survivors, max, survivors);
        TensorPrimitives.Divide(survivors, _options.Temperature, survivors);
        TensorPrimitives.Exp(survivors, survivors);
        return survivors;
    }
}
