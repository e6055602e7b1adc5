using Tessera.Models;
using Tessera.Models.Experts;

namespace Tessera.Runtime.Experts;

/// <summary>
/// Hot-expert placement on the CPU when the model is larger than the memory it may use: the model stays memory-mapped;
/// per layer the <see cref="ExpertTierPlan.HotPerLayer"/> most selected experts are kept resident (read in and locked
/// where the system allows), the others are handed back to the kernel and read again from the file when chosen. While a
/// layer computes, the experts the next layer will likely choose (from counts of which experts follow which, layer to
/// layer) are read ahead. Placement starts from the counts of earlier runs (<see cref="ExpertSeed"/>) and follows
/// the live counts: every <see cref="ReplanSteps"/> steps the hot sets are recomputed and experts that changed tier
/// are moved by a background thread, so a step never waits for a move. Results do not depend on any of this: it only
/// decides which pages are in memory.
/// </summary>
public sealed unsafe class ExpertTier : IExpertRoutingObserver, IDisposable
{
    /// <summary>Steps (of the first MoE layer) between re-plans of the hot sets.</summary>
    public const int ReplanSteps = 64;

    private readonly ExpertStatistics _statistics;
    private readonly int _layers, _experts, _used;
    private readonly long[] _seed;                 // [layer, expert] counts of earlier runs, or empty
    private readonly bool _canDrop;                // the weights are a file mapping: dropped pages are read again
    private readonly bool[] _hot;                  // [layer, expert]
    private readonly bool[] _prefetched;           // [layer, expert] read ahead for the layer's coming step
    private readonly long[] _follows;              // [layer, expert, expert] how often expert b of layer+1 followed expert a of layer
    private int[] _previous = [];                  // [tokens, k] the previous layer's choices this step (first _previousLength)
    private int _previousLength;
    private readonly (nint Start, long Bytes)[] _ranges;   // [layer, expert, 3] gate, up and down of each expert
    private readonly long[] _scores;               // [expert] scratch
    private readonly int[] _stepCounts;            // [expert] scratch
    private readonly bool[] _coldInUse;            // [layer, expert] cold experts the layer's last step read, to drop once it is done
    private readonly BackgroundQueue<(int Layer, int Expert, bool Hot)> _mover;
    private int _stepsSincePlan;
    private long _hits, _prefetchHits, _misses, _prefetches, _moved;
    private volatile int _locking = 1;             // 1 while mlock works, 0 once the system refused it
    private bool _disposed;

    private ExpertTier(TransformerModel model, ExpertStatistics statistics, ExpertTierPlan plan, ExpertSeed seed, IReadOnlyList<string> warnings)
    {
        _statistics = statistics;
        var hp = model.Hyperparameters;
        _layers = hp.LayerCount;
        _experts = hp.ExpertCount;
        _used = hp.ExpertUsedCount;
        Plan = plan;
        _seed = seed.Counts ?? [];
        _canDrop = model.File.IsFileMapped;
        PlacementSource = seed.Source(_used);
        SeedPath = seed.Path;
        Warnings = warnings;
        _hot = new bool[_layers * _experts];
        _prefetched = new bool[_layers * _experts];
        _coldInUse = new bool[_layers * _experts];
        _follows = new long[_layers * _experts * _experts];
        _ranges = new (nint, long)[_layers * _experts * 3];
        for (int layer = 0; layer < _layers; layer++)
        {
            int matrixIndex = 0;
            foreach (var (data, bytes) in ExpertMatrices(model, layer))
            {
                long perExpert = bytes / _experts;
                for (int e = 0; e < _experts; e++)
                    _ranges[(layer * _experts + e) * 3 + matrixIndex] = (data + e * (nint)perExpert, perExpert);
                matrixIndex++;
            }
        }
        _scores = new long[_experts];
        _stepCounts = new int[_experts];
        _mover = new BackgroundQueue<(int Layer, int Expert, bool Hot)>("tessera-expert-tier", Move);
        Replan(initial: true);
    }

    public ExpertTierPlan Plan { get; }

    /// <summary>Where the first placement came from: the seed file with its token count, or "no statistics yet".</summary>
    public string PlacementSource { get; }

    /// <summary>The statistics file this tier started from (the context writes it back when it closes).</summary>
    public string SeedPath { get; }

    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Choices of a resident (hot) expert.</summary>
    public long Hits => Volatile.Read(ref _hits);

    /// <summary>Choices of a cold expert that had been read ahead for that step.</summary>
    public long PrefetchHits => Volatile.Read(ref _prefetchHits);

    /// <summary>Choices of a cold expert that was not read ahead (read from the file, or the page cache, on use).</summary>
    public long Misses => Volatile.Read(ref _misses);

    /// <summary>Read-aheads issued for cold experts.</summary>
    public long Prefetches => Volatile.Read(ref _prefetches);

    /// <summary>Experts moved between tiers by re-plans (the first placement not counted).</summary>
    public long Moves => Volatile.Read(ref _moved);

    /// <summary>Whether hot experts are locked in memory (false where the system's memlock limit refused it: they
    /// are then only read ahead, and the kernel may still drop them under pressure).</summary>
    public bool Locked => _locking == 1;

    public bool IsHot(int layer, int expert) => _hot[layer * _experts + expert];

    /// <summary>
    /// Plans the tier for <paramref name="model"/> and starts it; null when every expert fits (nothing to manage) or the
    /// model has no experts. Throws <see cref="ExpertTierException"/> for a limit too small for one layer or more hot
    /// experts than the model has.
    /// </summary>
    public static ExpertTier? Start(TransformerModel model, ExpertStatistics statistics, ExpertTierOptions options, long machineMemory, ExpertSeed seed)
    {
        var hp = model.Hyperparameters;
        if (!hp.IsMixtureOfExperts)
            return null;
        var expertBytes = new long[hp.LayerCount];
        long expertTensors = 0;
        for (int layer = 0; layer < hp.LayerCount; layer++)
        {
            foreach (var (_, bytes) in ExpertMatrices(model, layer))
            {
                expertBytes[layer] += bytes / hp.ExpertCount;
                expertTensors += bytes;
            }
        }
        long dense = model.File.FileSize - expertTensors;
        var plan = ExpertTierPlan.Make(dense, expertBytes, hp.ExpertCount, hp.ExpertUsedCount, options.MemoryLimit, options.HotExperts, machineMemory);
        if (!plan.Active)
            return null;
        var warnings = plan.Warnings.ToList();
        if (!model.File.IsFileMapped)
            warnings.Add("the weights were read into memory (--no-mmap), so cold experts cannot be dropped: only hits and misses are counted");
        if (seed.Warning != null)
            warnings.Add(seed.Warning);
        var tier = new ExpertTier(model, statistics, plan, seed, warnings);
        statistics.AddObserver(tier);
        return tier;
    }

    public void Routed(int layer, ReadOnlySpan<int> selected, int tokens)
    {
        int row = layer * _experts;
        foreach (int e in selected)
        {
            if (_hot[row + e])
            {
                _hits++;
                continue;
            }
            _coldInUse[row + e] = true;
            if (_prefetched[row + e])
                _prefetchHits++;
            else
                _misses++;
        }
        Array.Clear(_prefetched, row, _experts);
        // The layer before has finished: the cold experts it read are dropped again (in the background), so the
        // weights' resident memory stays near the plan's instead of growing with every cold expert ever chosen.
        DropColdInUse(layer == 0 ? _layers - 1 : layer - 1);

        // Which experts follow which, layer to layer: each token's choices here after its choices in the layer before.
        if (layer > 0 && _previousLength == selected.Length)
        {
            var follows = _follows.AsSpan((layer - 1) * _experts * _experts, _experts * _experts);
            var previous = _previous.AsSpan(0, _previousLength);
            for (int t = 0; t < tokens; t++)
            {
                foreach (int a in previous.Slice(t * _used, _used))
                {
                    foreach (int b in selected.Slice(t * _used, _used))
                        follows[a * _experts + b]++;
                }
            }
        }
        if (_previous.Length < selected.Length)
            _previous = new int[selected.Length];
        selected.CopyTo(_previous);
        _previousLength = selected.Length;

        if (layer + 1 < _layers)
            PrefetchLikely(layer, selected);
        if (layer == 0 && ++_stepsSincePlan >= ReplanSteps)
            Replan(initial: false);
    }

    private void DropColdInUse(int layer)
    {
        int row = layer * _experts;
        for (int e = 0; e < _experts; e++)
        {
            if (!_coldInUse[row + e])
                continue;
            _coldInUse[row + e] = false;
            if (!_hot[row + e])
                _mover.Enqueue((layer, e, false));
        }
    }

    /// <summary>Reads ahead the cold experts of the next layer that most often followed this step's choices.</summary>
    private void PrefetchLikely(int layer, ReadOnlySpan<int> selected)
    {
        Array.Clear(_stepCounts);
        foreach (int e in selected)
            _stepCounts[e]++;
        Array.Clear(_scores);
        long offset = (long)layer * _experts * _experts;
        for (int a = 0; a < _experts; a++)
        {
            if (_stepCounts[a] == 0)
                continue;
            for (int b = 0; b < _experts; b++)
                _scores[b] += _stepCounts[a] * _follows[offset + a * _experts + b];
        }
        int next = (layer + 1) * _experts;
        for (int pick = 0; pick < _used; pick++)
        {
            int best = -1;
            for (int b = 0; b < _experts; b++)
            {
                if (_scores[b] > 0 && !_hot[next + b] && !_prefetched[next + b] && (best < 0 || _scores[b] > _scores[best]))
                    best = b;
            }
            if (best < 0)
                return;
            _prefetched[next + best] = true;
            foreach (var (start, bytes) in Ranges(layer + 1, best))
                MemoryAdvice.Prefetch((byte*)start, bytes);
            _prefetches++;
        }
    }

    /// <summary>Recomputes every layer's hot set from the seed plus live counts and queues the experts that changed tier.</summary>
    private void Replan(bool initial)
    {
        _stepsSincePlan = 0;
        Span<int> order = stackalloc int[_experts];
        for (int layer = 0; layer < _layers; layer++)
        {
            ExpertRanking.MostChosen(_statistics, _seed, layer, order);
            for (int rank = 0; rank < _experts; rank++)
            {
                int e = order[rank];
                bool hot = rank < Plan.HotPerLayer;
                ref bool current = ref _hot[layer * _experts + e];
                if (!initial && current == hot)
                    continue;
                if (!initial)
                    _moved++;
                current = hot;
                _mover.Enqueue((layer, e, hot));
            }
        }
    }

    /// <summary>One batch of the background thread: hot experts read in and locked (read ahead only, once the system
    /// refuses locking), cold ones unlocked and dropped.</summary>
    private bool Move((int Layer, int Expert, bool Hot)[] batch)
    {
        foreach (var (layer, expert, hot) in batch)
        {
            if (_mover.Stopping)
                break;
            foreach (var (start, bytes) in Ranges(layer, expert))
            {
                byte* pointer = (byte*)start;
                if (!hot)
                {
                    MemoryAdvice.Unlock(pointer, bytes);
                    if (_canDrop)   // copied weights (--no-mmap): dropping their pages would zero them
                        MemoryAdvice.Release(pointer, bytes);
                }
                else if (_locking == 0 || !MemoryAdvice.Lock(pointer, bytes))
                {
                    _locking = 0;
                    MemoryAdvice.Prefetch(pointer, bytes);
                }
            }
        }
        return true;
    }

    /// <summary>The byte ranges of one expert: its gate, up and down matrices within their stacked tensors.</summary>
    private ReadOnlySpan<(nint Start, long Bytes)> Ranges(int layer, int expert) => _ranges.AsSpan((layer * _experts + expert) * 3, 3);

    /// <summary>A layer's three stacked expert tensors (gate, up, down): where each starts and its bytes.</summary>
    private static (nint Data, long Bytes)[] ExpertMatrices(TransformerModel model, int layer)
    {
        var weights = model.Layers[layer];
        return [.. new[] { weights.ExpertGate, weights.ExpertUp, weights.ExpertDown }
            .Select(matrix => matrix is { } m ? ((nint)m.Data, m.Rows * m.RowBytes) : throw new InvalidOperationException($"layer {layer} has no expert tensors"))];
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _statistics.RemoveObserver(this);
        _mover.Dispose();
        for (int layer = 0; layer < _layers; layer++)
        {
            for (int e = 0; e < _experts; e++)
            {
                if (_hot[layer * _experts + e])
                {
                    foreach (var (start, bytes) in Ranges(layer, e))
                        MemoryAdvice.Unlock((byte*)start, bytes);
                }
            }
        }
    }
}
