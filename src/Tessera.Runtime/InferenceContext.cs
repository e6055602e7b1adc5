using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Devices.Measurement;
using Tessera.Kernels.Threading;
using Tessera.Models;
using Tessera.Models.Experts;
using Tessera.Models.Placement;
using Tessera.Runtime.Paging;
using Tessera.Runtime.Placement;
using Tessera.Tensors;

namespace Tessera.Runtime;

/// <summary>
/// Runs a model: owns the KV cache for <see cref="ContextOptions.SequenceCount"/> sequences, the kernel thread pool, the
/// activation scratch and the model's placement on devices (<see cref="Plan"/>). Prompts are processed in chunks of
/// <see cref="BatchSize"/> tokens, single decode steps one token at a time. When a device fails mid-pass, its parts move
/// to the CPU, the KV cells it held are recomputed from each sequence's history, and the pass is retried, so the
/// request goes on. Sessions (<see cref="CreateSession"/>) each own one sequence. One forward at a time: calls are serialised.
/// </summary>
public sealed class InferenceContext : IDisposable
{
    private readonly ForwardScratch _scratch;
    private readonly TokenBatch _batch;
    private readonly TokenBatch _replayBatch;
    private readonly bool[] _sequenceInUse;
    private readonly SequenceHistory[] _history;
    private readonly object _gate = new();
    private readonly bool _ownsPool;
    private readonly PlanCostModel? _costs;
    private ComputeDevice[] _shared = [];
    private ModelPlacement? _sharedFor;

    public InferenceContext(TransformerModel model, ContextOptions? options = null, KernelThreadPool? pool = null)
    {
        options ??= new ContextOptions();
        Model = model;
        var hp = model.Hyperparameters;
        ContextSize = options.ContextSize == 0 ? hp.ContextLength : options.ContextSize;
        ArgumentOutOfRangeException.ThrowIfNegative(ContextSize, nameof(options.ContextSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize, nameof(options.BatchSize));
        BatchSize = Math.Min(options.BatchSize, ContextSize);
        _ownsPool = pool is null;
        Pool = pool ?? new KernelThreadPool(options.Threads);
        Cpu = new CpuDevice(Pool);
        try
        {
            var accelerators = options.Placement is null && options.ExpertDevice is null ? [] : options.Accelerators ?? DeviceDiscovery.Accelerators;
            Devices = [Cpu, .. accelerators];
            DeviceKvLayer.CheckType(options.KvCacheType, hp.HeadDim);
            var paging = options.Paging ?? new KvPaging();
            long kvCells = (long)paging.PageSizeFor(ContextSize) * paging.PageCountFor(ContextSize, options.SequenceCount);
            long kvLayerBytes = DeviceKvLayer.BytesFor(hp.KvHeadCount, hp.HeadDim, kvCells, options.KvCacheType);
            if (options.Placement is null)
            {
                Plan = SingleDevicePlan(LayerAssignment.AllOn(Cpu, hp.LayerCount), "cpu only", kvLayerBytes);
            }
            else
            {
                _costs = new PlanCostModel(model, options.Speeds ?? (d => DeviceSpeedCache.GetOrMeasure(d, options.Placement.RemeasureDevices)));
                Plan = PlacementPlanner.Plan(model, Devices, options.Placement, _costs, kvLayerBytes, ScratchBytes(hp, BatchSize),
                    options.Accelerators is null ? DeviceDiscovery.UnavailableReason : null);
            }
            while (true)
            {
                try
                {
                    Placement = ModelPlacement.Create(model, Plan.Assignment);
                    Cache = new KvCache(hp, ContextSize, options.SequenceCount, options.KvCacheType, Plan.Assignment.Attention, paging);
                    break;
                }
                catch (DeviceFailedException failure) when (failure.Device != Cpu)
                {
                    // A device that fails while taking its weights or cells (out of memory, lost) leaves the plan at once.
                    Placement?.Dispose();
                    Placement = null!;
                    DeviceFailures++;
                    var (assignment, moved) = Without(Plan.Assignment, failure.Device);
                    Plan = Replanned(assignment, $"{failure.Device.Name} failed while loading ({failure.Reason}): {moved}", kvLayerBytes);
                }
            }
        }
        catch
        {
            Placement?.Dispose();
            if (_ownsPool)
                Pool.Dispose();
            throw;
        }
        _scratch = model.CreateScratch(BatchSize);
        _batch = new TokenBatch(BatchSize);
        _replayBatch = new TokenBatch(BatchSize);
        _sequenceInUse = new bool[options.SequenceCount];
        MoeSchedule = options.MoeSchedule;
        ExpertStatistics = hp.IsMixtureOfExperts ? new ExpertStatistics(hp.LayerCount, hp.ExpertCount) : null;
        if (ExpertStatistics != null && (options.ExpertTier != null || options.ExpertDevice != null))
        {
            var seed = Experts.ExpertSeed.Load(model, options.ExpertTier?.SeedFile ?? options.ExpertDevice?.SeedFile);
            if (options.ExpertTier is { } tier)
                ExpertTier = Experts.ExpertTier.Start(model, ExpertStatistics, tier, Cpu.MemoryTotal, seed);
            if (options.ExpertDevice is { } onDevice)
                StartDeviceExperts(onDevice, ExpertStatistics, seed);
            if (ExpertTier != null || DeviceExperts != null)
                _expertSeed = seed;
        }
        _history = Enumerable.Range(0, options.SequenceCount).Select(_ => new SequenceHistory()).ToArray();
    }

    public TransformerModel Model { get; }
    public KvCache Cache { get; }
    public KernelThreadPool Pool { get; }
    public CpuDevice Cpu { get; }

    /// <summary>Every device this context may use, the CPU first.</summary>
    public IReadOnlyList<ComputeDevice> Devices { get; }

    /// <summary>Where each part of the model runs now (it changes when a device fails).</summary>
    public ExecutionPlan Plan { get; private set; }

    public ModelPlacement Placement { get; private set; }

    /// <summary>How MoE layers schedule their experts.</summary>
    public MoeSchedule MoeSchedule { get; }

    /// <summary>Per MoE layer, how often each expert was chosen (null for dense models); replays do not count.</summary>
    public ExpertStatistics? ExpertStatistics { get; }

    /// <summary>Which experts stay resident under a memory limit; null when no tier was asked for or every expert fits.</summary>
    public Experts.ExpertTier? ExpertTier { get; }

    /// <summary>Copies of the hottest experts on an accelerator; null when none were asked for.</summary>
    public DeviceExperts? DeviceExperts { get; private set; }

    /// <summary>The counts the expert tiers started from, written back with this run's when the context closes.</summary>
    private Experts.ExpertSeed? _expertSeed;

    /// <summary>
    /// Keeps the MoE feed-forward of every layer on the CPU (moving any the plan gave an accelerator) and starts the copies
    /// of the hottest experts on the named accelerator, placed from the statistics file where there is one.
    /// </summary>
    private void StartDeviceExperts(Experts.ExpertDeviceOptions options, ExpertStatistics statistics, Experts.ExpertSeed seed)
    {
        var device = Devices.FirstOrDefault(d => d != Cpu && string.Equals(d.Name, options.Device, StringComparison.OrdinalIgnoreCase))
            ?? throw new Experts.ExpertTierException($"--moe-device {options.Device}: no such accelerator (found: " +
                $"{(Devices.Count > 1 ? string.Join(", ", Devices.Skip(1).Select(d => d.Name)) : "none" + (DeviceDiscovery.UnavailableReason is { } why ? $"; {why}" : ""))})");
        if (options.MemoryBytes is <= 0)
            throw new Experts.ExpertTierException($"--moe-device {options.Device}: the memory for expert copies must be positive");
        var feedForward = Plan.Assignment.FeedForward;
        if (feedForward.Any(d => d != Cpu))
        {
            var assignment = new LayerAssignment(Plan.Assignment.Attention.ToArray(), feedForward.Select(_ => (ComputeDevice)Cpu).ToArray(), Plan.Assignment.Head);
            Placement.Dispose();
            Placement = ModelPlacement.Create(Model, assignment);
            Plan = Replanned(assignment, $"MoE feed-forward on the CPU, its hottest experts copied to {device.Name}", Cache.LayerBytes);
        }
        long budget = options.MemoryBytes ?? (long)(device.MemoryFree * Experts.ExpertDeviceOptions.DefaultShareOfFreeMemory);
        DeviceExperts = new DeviceExperts(Model, device, budget, statistics, seed.Counts ?? []);
        Placement.DeviceExperts = DeviceExperts;
    }

    /// <summary>Device failures seen and fallbacks carried out.</summary>
    public int DeviceFailures { get; private set; }

    /// <summary>Raised (under the context's lock) after each fallback.</summary>
    public event Action<FallbackReport>? DeviceFallback;

    /// <summary>Positions per sequence.</summary>
    public int ContextSize { get; }

    /// <summary>Most tokens per forward pass.</summary>
    public int BatchSize { get; }

    public int VocabularySize => Model.VocabularySize;

    /// <summary>A session on a free sequence of the cache.</summary>
    public Session CreateSession()
    {
        lock (_gate)
        {
            int free = Array.IndexOf(_sequenceInUse, false);
            if (free < 0)
                throw new InvalidOperationException($"all {_sequenceInUse.Length} sequences of the context are in use");
            _sequenceInUse[free] = true;
            return new Session(this, free);
        }
    }

    internal void Release(int sequenceId)
    {
        lock (_gate)
        {
            _sequenceInUse[sequenceId] = false;
            Forget(sequenceId);
        }
    }

    /// <summary>
    /// Prepares <paramref name="sequenceId"/> to go on with <paramref name="tokens"/> from position 0: keeps the longest
    /// prefix already computed, either the sequence's own or (page by page) one the prefix cache holds from any earlier
    /// sequence, and returns its length. At least one token is left to compute (its logits start generation). The
    /// caller evaluates the tokens from that position on.
    /// </summary>
    public int ReusePrefix(int sequenceId, ReadOnlySpan<int> tokens)
    {
        lock (_gate)
        {
            var history = _history[sequenceId];
            int own = tokens.IsEmpty ? 0 : tokens[..^1].CommonPrefixLength(history.Tokens);
            int attached = Cache.AttachLongerCachedPrefix(sequenceId, tokens, tokens.Length - 1, longerThan: own);
            if (attached > 0)
            {
                history.Clear();
                history.Record(0, tokens[..attached]);
                return attached;
            }
            history.Truncate(own);
            return own;
        }
    }

    /// <summary>
    /// Runs throwaway steps on sequence 0, a short prompt and then single tokens, until <paramref name="maxSteps"/> or
    /// <paramref name="budget"/> is reached, so the JIT has compiled the forward pass's code to its optimized tier
    /// before the first request (llama-server makes a warm-up run for the same reason; here the first requests of a
    /// cold server ran 15-20% slower). Sequence 0 is left empty, nothing reaches the prefix cache, and MoE expert
    /// statistics do not count these tokens. Returns the steps run.
    /// </summary>
    public int WarmUp(TimeSpan budget, int maxSteps = 64)
    {
        lock (_gate)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var batch = new TokenBatch(BatchSize);
            var logits = new float[VocabularySize];
            int token = VocabularySize > 1 ? 1 : 0, prompt = Math.Min(Math.Min(8, BatchSize), ContextSize);
            int steps = 0;
            try
            {
                for (int position = 0; position < ContextSize && steps < maxSteps && (steps == 0 || clock.Elapsed < budget); steps++)
                {
                    batch.Clear();
                    int count = steps == 0 ? prompt : 1;
                    for (int i = 0; i < count; i++, position++)
                        batch.Add(token, position, 0, wantsLogits: i == count - 1);
                    Run(batch, logits, warmUp: true);
                }
            }
            finally
            {
                Cache.ReleaseSequence(0);
                _history[0].Clear();
            }
            return steps;
        }
    }

    /// <summary>
    /// Keeps <paramref name="sequenceId"/>'s keys and values in <paramref name="cellType"/> from now on: the cache's
    /// own type, or Q8_0 where <see cref="KvCache.CanHold"/> allows (about half the pages per token). A change of type
    /// lets go of what the sequence holds.
    /// </summary>
    public void SetKvType(int sequenceId, GgmlType cellType)
    {
        lock (_gate)
        {
            if (Cache.SequenceType(sequenceId) == cellType)
                return;
            _history[sequenceId].Clear();
            Cache.SetSequenceType(sequenceId, cellType);
        }
    }

    /// <summary>Lets go of everything <paramref name="sequenceId"/> holds (its full pages may stay in the prefix cache).</summary>
    public void Forget(int sequenceId)
    {
        lock (_gate)
        {
            _history[sequenceId].Clear();
            Cache.ReleaseSequence(sequenceId);
        }
    }

    /// <summary>Whether positions start..end-1 of <paramref name="sequenceId"/> can get KV pages now (evicting cached
    /// prefixes if need be); a batch whose runs all can runs without <see cref="KvCacheFullException"/>.</summary>
    public bool TryReserve(int sequenceId, int start, int end)
    {
        lock (_gate)
        {
            if (!Cache.CanReserve(sequenceId, start, end))
                return false;
            Cache.Reserve(sequenceId, start, end);
            return true;
        }
    }

    /// <summary>One forward over a batch of at most <see cref="BatchSize"/> tokens from any live sequences;
    /// logits [batch.LogitCount, n_vocab] in batch order.</summary>
    public void Forward(TokenBatch batch, Span<float> logits)
    {
        lock (_gate)
            Run(batch, logits);
    }

    /// <summary>
    /// Evaluates <paramref name="tokens"/> of one sequence at positions start.. in chunks. Writes the logits of the last
    /// token to <paramref name="lastLogits"/> [n_vocab] or, when <paramref name="allLogits"/> is not empty, of every token
    /// from index <paramref name="firstWithLogits"/> on there [tokens - firstWithLogits, n_vocab].
    /// </summary>
    internal void Evaluate(int sequenceId, ReadOnlySpan<int> tokens, int start, Span<float> lastLogits, Span<float> allLogits, int firstWithLogits)
    {
        int vocab = VocabularySize;
        bool every = !allLogits.IsEmpty;
        int written = 0;
        lock (_gate)
        {
            for (int offset = 0; offset < tokens.Length; offset += BatchSize)
            {
                int count = Math.Min(BatchSize, tokens.Length - offset);
                _batch.Clear();
                for (int i = 0; i < count; i++)
                {
                    int index = offset + i;
                    _batch.Add(tokens[index], start + index, sequenceId, every ? index >= firstWithLogits : index == tokens.Length - 1);
                }
                var target = _batch.LogitCount == 0 ? Span<float>.Empty
                    : every ? allLogits.Slice(written * vocab, _batch.LogitCount * vocab)
                    : lastLogits;
                Run(_batch, target);
                written += _batch.LogitCount;
            }
        }
    }

    /// <summary>One pass on the current placement; after a device failure, falls back and retries until it succeeds
    /// (or the CPU itself fails, which propagates). Records what the pass computed for later replays.</summary>
    /// <param name="warmUp">a throwaway pass: no history, no prefix cache, no expert statistics</param>
    private void Run(TokenBatch batch, Span<float> logits, bool warmUp = false)
    {
        // Accelerators are shared by the process's contexts: hold each one used (in Id order) for the whole pass.
        if (_sharedFor != Placement)
            (_shared, _sharedFor) = (Placement.Devices.Where(d => d != Cpu).OrderBy(d => d.Id).ToArray(), Placement);
        var shared = _shared;
        int held = 0;
        try
        {
            for (; held < shared.Length; held++)
                Monitor.Enter(shared[held].Gate);
            RunHeld(batch, logits, warmUp);
        }
        finally
        {
            for (int i = held - 1; i >= 0; i--)
                Monitor.Exit(shared[i].Gate);
        }
    }

    private void RunHeld(TokenBatch batch, Span<float> logits, bool warmUp)
    {
        while (true)
        {
            try
            {
                Cache.Reserve(batch);
                Model.Forward(batch, Placement, Cache, _scratch, logits, MoeSchedule, warmUp ? null : ExpertStatistics);
                break;
            }
            catch (DeviceFailedException failure) when (failure.Device != Cpu)
            {
                FallBack(failure);
            }
        }
        for (int r = 0; r < batch.RunCount && !warmUp; r++)
        {
            var (start, end) = batch.Run(r);
            int sequence = batch.SequenceIds[start];
            _history[sequence].Record(batch.Positions[start], batch.Tokens[start..end]);
            Cache.Publish(sequence, _history[sequence].Tokens);
        }
    }

    /// <summary>
    /// Moves every part of the failed device to the CPU (the universal fallback; its weights are read again from the
    /// mapped file), gives the moved layers new KV cells there and recomputes them by replaying each sequence's passes.
    /// </summary>
    private void FallBack(DeviceFailedException failure)
    {
        var failed = failure.Device;
        DeviceFailures++;
        var (assignment, moved) = Without(Plan.Assignment, failed);
        var previous = Placement;
        Placement = ModelPlacement.Create(Model, assignment);
        Placement.DeviceExperts = DeviceExperts;
        previous.Dispose();
        _scratch.Release(failed);
        for (int layer = 0; layer < assignment.LayerCount; layer++)
            Cache.Relocate(layer, assignment.Attention[layer]);
        // The moved layers' cells are empty: cached prefixes no sequence holds cannot be recomputed, so they go.
        Cache.ClearPrefixCache();
        Plan = Replanned(assignment, $"{failed.Name} failed: {moved}", Cache.LayerBytes);

        int recomputed = 0;
        for (int sequence = 0; sequence < _history.Length; sequence++)
        {
            foreach (var (start, tokens) in _history[sequence].Passes())
            {
                _replayBatch.Clear();
                for (int i = 0; i < tokens.Length; i++)
                    _replayBatch.Add(tokens[i], start + i, sequence, wantsLogits: false);
                Model.Forward(_replayBatch, Placement, Cache, _scratch, Span<float>.Empty, MoeSchedule);
                recomputed += tokens.Length;
            }
        }
        DeviceFallback?.Invoke(new FallbackReport(failed, failure.Reason, moved, recomputed));
    }

    /// <summary>The assignment with every part of <paramref name="failed"/> (or of any failed device) on the CPU, and
    /// what moved, in words.</summary>
    private (LayerAssignment Assignment, string Moved) Without(LayerAssignment old, ComputeDevice failed)
    {
        ComputeDevice Survivor(ComputeDevice d) => d == failed || d.Failed ? Cpu : d;
        var assignment = new LayerAssignment(old.Attention.Select(Survivor).ToArray(), old.FeedForward.Select(Survivor).ToArray(), Survivor(old.Head));
        var movedLayers = Enumerable.Range(0, old.LayerCount).Where(i => old.Attention[i] != assignment.Attention[i] || old.FeedForward[i] != assignment.FeedForward[i]).ToList();
        string moved = (movedLayers.Count == 0 ? "" : $"layers {ExecutionPlan.Ranges(movedLayers)}")
            + (old.Head != assignment.Head ? (movedLayers.Count == 0 ? "" : " and ") + "the output head" : "");
        return (assignment, moved.Length == 0 ? "nothing was placed there" : $"{moved} moved to the CPU");
    }

    /// <summary>The plan after a failure: the new assignment, its predicted speed and bytes, and a note saying what happened.</summary>
    private ExecutionPlan Replanned(LayerAssignment assignment, string note, long kvLayerBytes)
    {
        var parts = ModelPart.Of(Model);
        var perPart = ModelPart.PerPart(assignment);
        double predicted = _costs is null ? double.NaN : 1 / _costs.StepSeconds(parts, perPart, Cpu);
        return ExecutionPlan.For(parts, perPart, Devices, Plan.Request, predicted, [.. Plan.Notes, note], kvLayerBytes);
    }

    /// <summary>The plan without a planner: every part on one device, no prediction (nothing was measured).</summary>
    private ExecutionPlan SingleDevicePlan(LayerAssignment assignment, string request, long kvLayerBytes) =>
        ExecutionPlan.For(ModelPart.Of(Model), ModelPart.PerPart(assignment), Devices, request, double.NaN, [], kvLayerBytes);

    /// <summary>Bytes of one device's activation buffers (<see cref="DeviceScratch"/>) for batches of <paramref name="tokens"/>.</summary>
    private static long ScratchBytes(Hyperparameters hp, int tokens)
    {
        long embd = hp.EmbeddingLength;
        long widest = Math.Max(Math.Max(embd, hp.QueryLength), hp.IsMixtureOfExperts ? hp.ExpertFeedForwardLength : hp.FeedForwardLength);
        long floats = 3 * embd + Math.Max(embd, hp.QueryLength) + hp.QueryLength + 2L * hp.KvLength + 2 * widest
            + (hp.IsMixtureOfExperts ? hp.ExpertCount + (long)hp.ExpertUsedCount * 2 * (embd + hp.ExpertFeedForwardLength) : 0);
        return floats * tokens * sizeof(float) + 4L * 4 * (1 << 20);
    }

    public void Dispose()
    {
        ExpertTier?.Dispose();
        DeviceExperts?.Dispose();
        _expertSeed?.Save(Model, ExpertStatistics!);
        Cache.Dispose();
        Placement.Dispose();
        _scratch.Dispose();
        Cpu.Dispose();
        if (_ownsPool)
            Pool.Dispose();
    }
}
