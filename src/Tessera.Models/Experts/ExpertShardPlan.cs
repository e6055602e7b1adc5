namespace Tessera.Models.Experts;

/// <summary>
/// Per MoE layer, into how many row shards the grouped (batch) pass cuts each expert's products, planned from the
/// running selection histogram of <see cref="ExpertStatistics"/>: an expert expected to carry more than its share of a
/// layer's work is cut so its pieces spread over the workers, the rest stay whole (fewer, larger items pack with less
/// overhead). A layer is planned again only when its selection distribution has moved more than
/// <see cref="ReplanDistance"/> (total variation) from the one its plan was made from, so the plan does not follow
/// every step's noise; a new plan takes the current distribution as its reference (the hysteresis).
/// </summary>
public sealed class ExpertShardPlan
{
    /// <summary>Total variation distance (half the L1 distance, 0..1) that triggers a new plan for a layer.</summary>
    public const double ReplanDistance = 0.15;

    /// <summary>Work items each worker should get from a perfectly even layer: enough for longest-first packing to
    /// balance, few enough that each item is a sizeable matmul.</summary>
    public const int ItemsPerWorker = 2;

    /// <summary>Most shards one expert is cut into.</summary>
    public const int MaxShards = 16;

    private readonly int _experts;
    private readonly int[] _shards;            // [layer, expert]
    private readonly double[] _plannedFrom;    // [layer, expert] the distribution each layer's plan was made from
    private readonly int[] _plannedWorkers;    // [layer] workers each plan was made for (0 = not planned)
    private readonly double[] _current;        // [expert] scratch

    public ExpertShardPlan(int layerCount, int expertCount)
    {
        _experts = expertCount;
        _shards = new int[layerCount * expertCount];
        _plannedFrom = new double[layerCount * expertCount];
        _plannedWorkers = new int[layerCount];
        _current = new double[expertCount];
    }

    /// <summary>Times a layer was planned, the first plans included.</summary>
    public long Plans { get; private set; }

    /// <summary>The layer's shard counts per expert for <paramref name="workers"/> workers, planned again when the
    /// statistics have shifted (or the worker count changed).</summary>
    public ReadOnlySpan<int> For(int layer, ExpertStatistics statistics, int workers)
    {
        var shards = _shards.AsSpan(layer * _experts, _experts);
        var plannedFrom = _plannedFrom.AsSpan(layer * _experts, _experts);
        Distribution(statistics, layer, _current);
        if (_plannedWorkers[layer] == workers && TotalVariation(plannedFrom, _current) <= ReplanDistance)
            return shards;
        Plan(_current, workers, shards);
        _current.CopyTo(plannedFrom);
        _plannedWorkers[layer] = workers;
        Plans++;
        return shards;
    }

    /// <summary>
    /// Shards per expert from its expected share p of the layer's routed tokens: ceil(p x workers x
    /// <see cref="ItemsPerWorker"/>), at least 1 and at most <see cref="MaxShards"/>. An expert taking half the tokens
    /// on 2 workers becomes 2 items, so the two workers can share it; an expert with a 1/32 share stays whole, and so does
    /// every expert on one worker.
    /// </summary>
    public static void Plan(ReadOnlySpan<double> distribution, int workers, Span<int> shards)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        // One worker gains nothing from cuts.
        for (int e = 0; e < distribution.Length; e++)
            shards[e] = workers == 1 ? 1 : (int)Math.Clamp(Math.Ceiling(distribution[e] * workers * ItemsPerWorker - 1e-9), 1, MaxShards);
    }

    /// <summary>Half the L1 distance between two distributions: 0 when equal, 1 when disjoint.</summary>
    public static double TotalVariation(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
            sum += Math.Abs(a[i] - b[i]);
        return sum / 2;
    }

    private static void Distribution(ExpertStatistics statistics, int layer, Span<double> into)
    {
        double total = 0;
        for (int e = 0; e < into.Length; e++)
            total += into[e] = statistics.Selections(layer, e);
        for (int e = 0; e < into.Length; e++)
            into[e] = total == 0 ? 1.0 / into.Length : into[e] / total;
    }
}
