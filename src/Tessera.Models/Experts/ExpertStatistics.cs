namespace Tessera.Models.Experts;

/// <summary>
/// How often each expert of each MoE layer was selected, kept by the forward pass at the cost of a few additions per
/// token: per (layer, expert) the selections, the steps it was active in (so selections / steps is how many tokens it
/// gets per step), and per layer the tokens routed. Read while the forward runs (the metrics endpoint): counts are
/// 64-bit and written by one thread, so a reader sees each count whole, if not all from the same step.
/// </summary>
public sealed class ExpertStatistics
{
    private readonly long[] _selections;
    private readonly long[] _activeSteps;
    private readonly long[] _tokens;
    private readonly int[] _stepCounts;

    public ExpertStatistics(int layerCount, int expertCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expertCount);
        LayerCount = layerCount;
        ExpertCount = expertCount;
        _selections = new long[layerCount * expertCount];
        _activeSteps = new long[layerCount * expertCount];
        _tokens = new long[layerCount];
        _stepCounts = new int[expertCount];
        ShardPlan = new ExpertShardPlan(layerCount, expertCount);
    }

    /// <summary>The grouped pass's shard plan, which these counts drive.</summary>
    public ExpertShardPlan ShardPlan { get; }

    private IExpertRoutingObserver[] _observers = [];

    /// <summary>Tells <paramref name="observer"/> every recorded step (the expert tiers), after the counts are updated.</summary>
    public void AddObserver(IExpertRoutingObserver observer) => _observers = [.. _observers, observer];

    public void RemoveObserver(IExpertRoutingObserver observer) => _observers = [.. _observers.Where(o => o != observer)];

    public int LayerCount { get; }
    public int ExpertCount { get; }

    /// <summary>Records one step of <paramref name="layer"/>: <paramref name="selected"/> [tokens, k] expert ids.</summary>
    public void Record(int layer, ReadOnlySpan<int> selected, int tokens)
    {
        Array.Clear(_stepCounts);
        foreach (int expert in selected)
            _stepCounts[expert]++;
        int row = layer * ExpertCount;
        for (int e = 0; e < ExpertCount; e++)
        {
            if (_stepCounts[e] == 0)
                continue;
            _selections[row + e] += _stepCounts[e];
            _activeSteps[row + e]++;
        }
        _tokens[layer] += tokens;
        foreach (var observer in _observers)
            observer.Routed(layer, selected, tokens);
    }

    public long Selections(int layer, int expert) => Volatile.Read(ref _selections[layer * ExpertCount + expert]);

    /// <summary>Steps in which the expert had at least one token.</summary>
    public long ActiveSteps(int layer, int expert) => Volatile.Read(ref _activeSteps[layer * ExpertCount + expert]);

    /// <summary>Tokens routed through the layer.</summary>
    public long Tokens(int layer) => Volatile.Read(ref _tokens[layer]);

    /// <summary>The <paramref name="count"/> most selected experts of the layer, most first (ties to the lower id).</summary>
    public IReadOnlyList<(int Expert, long Selections)> Top(int layer, int count) =>
        Enumerable.Range(0, ExpertCount).Select(e => (e, Selections(layer, e))).OrderByDescending(p => p.Item2).ThenBy(p => p.e)
            .Take(count).ToArray();

    /// <summary>Shannon entropy in bits of the layer's selection distribution: log2(experts) when uniform, 0 when one
    /// expert takes everything (or nothing was recorded).</summary>
    public double Entropy(int layer)
    {
        double total = 0;
        for (int e = 0; e < ExpertCount; e++)
            total += Selections(layer, e);
        if (total == 0)
            return 0;
        double entropy = 0;
        for (int e = 0; e < ExpertCount; e++)
        {
            double p = Selections(layer, e) / total;
            if (p > 0)
                entropy -= p * Math.Log2(p);
        }
        return entropy;
    }
}
