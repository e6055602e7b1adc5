using System.Diagnostics;
using Tessera.Models;
using Tessera.Runtime;
using Tessera.Server.Metrics;
using Tessera.Tokenizers;

namespace Tessera.Server.Scheduling;

/// <summary>
/// Continuous batching over the slots of one <see cref="InferenceContext"/> (slot i is sequence i of the KV cache).
/// A dedicated thread repeats steps: start waiting jobs in free slots (the slot whose cached tokens share the longest
/// prefix with the prompt wins; the context's prefix cache may offer a longer one computed by any earlier request),
/// drop cancelled jobs, then run ONE forward over the pending token of every generating slot plus chunks of pending
/// prompts up to the step token budget (chunked prefill: decode tokens go first, so a long prompt delays the other
/// streams by one step at most), and sample from the logits each slot gets back. KV pages are reserved before each
/// step; when the pool runs short, idle slots give up their cached tokens, least recently used first.
/// At most <c>slots + maxQueue</c> jobs are admitted; beyond that <see cref="TrySubmit"/> refuses.
/// </summary>
public sealed class Scheduler : IDisposable
{
    private readonly InferenceContext _context;
    private readonly Tokenizer _tokenizer;
    private readonly ServerMetrics _metrics;
    private readonly Slot[] _slots;
    private readonly Queue<GenerationJob> _waiting = new();
    private readonly object _gate = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly TokenBatch _batch;
    private readonly float[] _logits;          // [slots, n_vocab]: at most one logits row per slot and step
    private readonly List<Slot> _logitRows = [];
    private readonly List<Slot> _prefilling = [];   // kept between steps so a step allocates nothing to order them
    private readonly Thread _thread;
    private int _admitted;                     // waiting + running, guarded by _gate
    private long _useStamp;
    private volatile bool _stopping;
    private volatile SchedulerGauges _gauges;
    private volatile int _stepTokenBudget;
    private volatile int _stepTokenCap;        // 0: none

    /// <param name="stepTokenBudget">most tokens per step; 0 means the context's batch size</param>
    public Scheduler(InferenceContext context, Tokenizer tokenizer, int maxQueue, ServerMetrics metrics, int stepTokenBudget = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueue);
        if (context.BatchSize < context.Cache.SequenceCapacity)
            throw new ArgumentException($"the batch of {context.BatchSize} tokens cannot hold one decode token for each of {context.Cache.SequenceCapacity} slots", nameof(context));
        _context = context;
        _tokenizer = tokenizer;
        _metrics = metrics;
        MaxQueue = maxQueue;
        _slots = new Slot[context.Cache.SequenceCapacity];
        for (int i = 0; i < _slots.Length; i++)
            _slots[i] = new Slot(i);
        _batch = new TokenBatch(context.BatchSize);
        StepTokenBudget = stepTokenBudget == 0 ? context.BatchSize : stepTokenBudget;
        _logits = new float[_slots.Length * context.VocabularySize];
        _gauges = CurrentGauges();
        _thread = new Thread(Run) { IsBackground = true, Name = "tessera-scheduler" };
        _thread.Start();
    }

    public int SlotCount => _slots.Length;
    public int MaxQueue { get; set; }   // settable: a config reload changes it live

    /// <summary>Positions per slot.</summary>
    public int ContextSize => _context.ContextSize;

    /// <summary>Most tokens one step processes (decode tokens first, prompt chunks fill the rest); may change while
    /// running (a config reload, load shedding). At least one token per slot, at most the batch size.</summary>
    public int StepTokenBudget
    {
        get => _stepTokenBudget;
        set
        {
            if (value < _slots.Length || value > _context.BatchSize)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"the step token budget must be in {_slots.Length}..{_context.BatchSize}");
            _stepTokenBudget = value;
        }
    }

    /// <summary>A lower limit on <see cref="StepTokenBudget"/> while the server sheds load; null when none. Never below
    /// one token per slot.</summary>
    public int? StepTokenCap
    {
        get => _stepTokenCap == 0 ? null : _stepTokenCap;
        set => _stepTokenCap = value is { } cap ? Math.Max(1, cap) : 0;
    }

    /// <summary>Seconds the oldest waiting job has waited for a slot (0 when none waits).</summary>
    public double OldestWaitSeconds
    {
        get
        {
            lock (_gate)
                return _waiting.TryPeek(out var job) ? Stopwatch.GetElapsedTime(job.QueuedAt).TotalSeconds : 0;
        }
    }

    /// <summary>Queue length, busy slots and KV cells as of the last step.</summary>
    public SchedulerGauges Gauges => _gauges;

    /// <summary>Admits all of <paramref name="jobs"/> or none (when the slots and the queue cannot take them all).</summary>
    public bool TrySubmit(IReadOnlyList<GenerationJob> jobs)
    {
        lock (_gate)
        {
            if (_stopping || _admitted + jobs.Count > _slots.Length + MaxQueue)
                return false;
            long now = Stopwatch.GetTimestamp();
            foreach (var job in jobs)
            {
                job.QueuedAt = now;
                _waiting.Enqueue(job);
            }
            _admitted += jobs.Count;
        }
        _wake.Set();
        return true;
    }

    private void Run()
    {
        while (!_stopping)
        {
            try
            {
                StartWaitingJobs();
                DropCancelled();
                PublishGauges();
                if (!_slots.Any(slot => slot.IsBusy))
                {
                    _wake.WaitOne();
                    continue;
                }
                Step();
            }
            catch (Exception e)
            {
                // A fault in one step must not stop the server: fail the jobs it touched and carry on.
                FailBatch(e.Message);
            }
        }
        FailEverything("the server is shutting down");
    }

    private void StartWaitingJobs()
    {
        lock (_gate)
        {
            while (_waiting.Count > 0)
            {
                var job = _waiting.Peek();
                if (job.Cancellation.IsCancellationRequested)
                {
                    _waiting.Dequeue();
                    _admitted--;
                    job.Events.TryWrite(new JobFinished(job.ChoiceIndex, StopReason.Cancelled, "", job.Prompt.Length, 0, 0));
                    continue;
                }
                var kvType = KvTypeOf(job);
                var slot = ChooseSlot(job.Prompt, kvType);
                if (slot is null)
                    return;
                _waiting.Dequeue();
                _metrics.QueueWaits.Add(Stopwatch.GetElapsedTime(job.QueuedAt).TotalSeconds);   // alerts: queue time
                try
                {
                    _context.SetKvType(slot.SequenceId, kvType);
                    if (kvType != _context.Cache.ElementType)
                        _metrics.RecordReducedKvJob();
                    int reuse = 0;
                    if (job.CachePrompt)
                        reuse = _context.ReusePrefix(slot.SequenceId, job.Prompt);
                    else
                        _context.Forget(slot.SequenceId);
                    slot.Start(job, reuse, _tokenizer, _context.VocabularySize, ++_useStamp);
                }
                catch (ArgumentException e)
                {
                    // Settings the sampler refuses (the endpoints validate first, so this is a safety net).
                    _admitted--;
                    job.Events.TryWrite(new JobFailed(job.ChoiceIndex, $"the sampling settings are not usable: {e.Message}"));
                    continue;
                }
                slot.LastTokenAt = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>The type the job's cells are kept in: the one it asks for where the cache can hold it.</summary>
    private Tensors.GgmlType KvTypeOf(GenerationJob job) =>
        job.KvType is { } type && _context.Cache.CanHold(type) ? type : _context.Cache.ElementType;

    /// <summary>The free slot with the longest reusable prefix (in cells of <paramref name="kvType"/>: a slot of the
    /// other type reuses nothing); among equals the least recently used.</summary>
    private Slot? ChooseSlot(int[] prompt, Tensors.GgmlType kvType)
    {
        Slot? best = null;
        int bestPrefix = -1;
        foreach (var slot in _slots)
        {
            if (slot.IsBusy)
                continue;
            int prefix = _context.Cache.SequenceType(slot.SequenceId) == kvType ? slot.ReusablePrefix(prompt) : 0;
            if (prefix > bestPrefix || (prefix == bestPrefix && slot.LastUsed < best!.LastUsed))
            {
                best = slot;
                bestPrefix = prefix;
            }
        }
        return best;
    }

    private void DropCancelled()
    {
        foreach (var slot in _slots)
        {
            if (slot.Job is { Cancellation.IsCancellationRequested: true })
                Finish(slot, StopReason.Cancelled);
        }
    }

    /// <summary>Oldest job first (stamps are unique, so the order is total).</summary>
    private static readonly Comparison<Slot> ByLastUsed = (a, b) => a.LastUsed.CompareTo(b.LastUsed);

    /// <summary>One forward over every generating slot's pending token plus prompt chunks, then sampling.</summary>
    private void Step()
    {
        _batch.Clear();
        _logitRows.Clear();
        int budget = Math.Min(_batch.Capacity, StepTokenBudget);
        if (StepTokenCap is { } cap)
            budget = Math.Max(_slots.Length, Math.Min(budget, cap));
        int decodeTokens = 0;
        foreach (var slot in _slots)
        {
            if (slot.PendingToken < 0)
                continue;
            int position = slot.Tokens.Count;
            if (!Reserve(slot, position, position + 1))
            {
                // Every page is held by running sequences: this one ends as if its context were full.
                Finish(slot, StopReason.Length);
                continue;
            }
            _batch.Add(slot.PendingToken, position, slot.SequenceId, wantsLogits: true);
            slot.Tokens.Add(slot.PendingToken);
            slot.PendingToken = -1;
            _logitRows.Add(slot);
            decodeTokens++;
        }
        // Prompts fill the rest of the budget, oldest job first, so a long prompt cannot starve decoding slots.
        _prefilling.Clear();
        foreach (var slot in _slots)
        {
            if (slot.IsPrefilling)
                _prefilling.Add(slot);
        }
        _prefilling.Sort(ByLastUsed);
        foreach (var slot in _prefilling)
        {
            int room = budget - _batch.Count;
            if (room == 0)
                break;
            var prompt = slot.Job!.Prompt;
            int start = slot.Tokens.Count;
            int take = Math.Min(room, prompt.Length - slot.PromptCursor);
            while (take > 0 && !Reserve(slot, start, start + take))
                take /= 2;   // as much of the chunk as the pool can hold now; the rest waits for pages
            for (int i = 0; i < take; i++)
            {
                int index = slot.PromptCursor + i;
                _batch.Add(prompt[index], start + i, slot.SequenceId, wantsLogits: index == prompt.Length - 1);
                slot.Tokens.Add(prompt[index]);
            }
            slot.PromptCursor += take;
            if (slot.PromptCursor == prompt.Length)
                _logitRows.Add(slot);
        }
        if (_batch.Count == 0)
        {
            // Nothing could get a page: the newest prompt gives way so the others can go on.
            if (_prefilling.Count > 0)
                Fail(_prefilling[^1], $"the KV cache is full: its {_context.Cache.PageCount} pages of {_context.Cache.PageSize} tokens are held by running requests");
            return;
        }

        int vocab = _context.VocabularySize;
        long started = Stopwatch.GetTimestamp();
        _context.Forward(_batch, _logits.AsSpan(0, _logitRows.Count * vocab));
        _metrics.RecordStep(_batch.Count - decodeTokens, decodeTokens, Stopwatch.GetElapsedTime(started).TotalSeconds);
        for (int row = 0; row < _logitRows.Count; row++)
            Sample(_logitRows[row], _logits.AsSpan(row * vocab, vocab));
    }

    /// <summary>Gets KV pages for positions start..end-1 of the slot's sequence, taking the cached tokens of idle slots
    /// (least recently used first) when the pool is short; false when even that is not enough.</summary>
    private bool Reserve(Slot slot, int start, int end)
    {
        while (!_context.TryReserve(slot.SequenceId, start, end))
        {
            Slot? idle = null;
            foreach (var candidate in _slots)
            {
                if (!candidate.IsBusy && candidate.Tokens.Count > 0 && (idle is null || candidate.LastUsed < idle.LastUsed))
                    idle = candidate;
            }
            if (idle is null)
                return false;
            Forget(idle);
        }
        return true;
    }

    /// <summary>Drops the slot's cached tokens and lets go of its pages (full ones may stay in the prefix cache).</summary>
    private void Forget(Slot slot)
    {
        slot.Invalidate();
        _context.Forget(slot.SequenceId);
    }

    private void Sample(Slot slot, ReadOnlySpan<float> logits)
    {
        var job = slot.Job!;
        logits = slot.Constrain(logits, Math.Min(job.MaxTokens - slot.Generated, _context.ContextSize - slot.Tokens.Count));
        int token = slot.Sampler!.Sample(logits, slot.History);
        slot.Matcher?.Accept(token);
        long now = Stopwatch.GetTimestamp();
        if (slot.Generated == 0)
            _metrics.TimeToFirstToken.Observe(Stopwatch.GetElapsedTime(job.QueuedAt, now).TotalSeconds);
        else
            _metrics.InterTokenLatency.Observe(Stopwatch.GetElapsedTime(slot.LastTokenAt, now).TotalSeconds);
        slot.LastTokenAt = now;
        if (_tokenizer.EndOfGenerationIds.Contains(token))
        {
            Finish(slot, StopReason.Stop);
            return;
        }
        var logprobs = job.WantsLogprobs ? LogprobCalculator.Compute(logits, token, job.TopLogprobs) : null;
        string text = slot.Accept(token, out bool stopMatched);
        job.Events.TryWrite(new TokenGenerated(job.ChoiceIndex, token, text, logprobs));
        if (stopMatched || slot.Matcher is { IsComplete: true })
            Finish(slot, StopReason.Stop);
        else if (slot.Generated >= job.MaxTokens || slot.Tokens.Count >= _context.ContextSize)
            Finish(slot, StopReason.Length);
        else
            slot.PendingToken = token;
    }

    private void Finish(Slot slot, StopReason reason)
    {
        var job = slot.Job!;
        int generated = slot.Generated;
        int cached = slot.CachedPromptTokens;
        string rest = slot.Finish();
        lock (_gate)
            _admitted--;
        job.Events.TryWrite(new JobFinished(job.ChoiceIndex, reason, rest, job.Prompt.Length, generated, cached));
    }

    /// <summary>A failed forward leaves the cache contents of the batch's slots unknown: fail their jobs and forget the cells.</summary>
    private void FailBatch(string message)
    {
        foreach (var slot in _slots)
        {
            if (!slot.IsBusy)
                continue;
            Fail(slot, $"generation failed: {message}");
            Forget(slot);
        }
    }

    private void Fail(Slot slot, string message)
    {
        var job = slot.Job!;
        slot.Finish();
        lock (_gate)
            _admitted--;
        job.Events.TryWrite(new JobFailed(job.ChoiceIndex, message));
    }

    private void FailEverything(string message)
    {
        foreach (var slot in _slots.Where(slot => slot.IsBusy))
            Fail(slot, message);
        lock (_gate)
        {
            while (_waiting.TryDequeue(out var job))
            {
                _admitted--;
                job.Events.TryWrite(new JobFailed(job.ChoiceIndex, message));
            }
        }
        PublishGauges();
    }

    private void PublishGauges() => _gauges = CurrentGauges();

    private SchedulerGauges CurrentGauges()
    {
        int queued;
        lock (_gate)
            queued = _waiting.Count;
        var cache = _context.Cache;
        long used = 0, cached = (long)cache.EvictablePages * cache.PageSize, allocated = 0;
        int busy = 0;
        foreach (var slot in _slots)
        {
            if (slot.IsBusy)
            {
                busy++;
                used += slot.Tokens.Count;
                allocated += cache.AllocatedCells(slot.SequenceId);
            }
            else
            {
                cached += slot.Tokens.Count;
            }
        }
        return new SchedulerGauges(queued, busy, _slots.Length, used, cached, (long)cache.PageCount * cache.PageSize)
        {
            CellsAllocated = allocated,
            PagesUsed = cache.PagesUsed,
            PagesTotal = cache.PageCount,
            PrefixCachedPages = cache.PrefixCachedPages,
            PrefixEvictions = cache.PrefixEvictions,
        };
    }

    /// <summary>Stops the loop; running and waiting jobs fail with a shutdown message.</summary>
    public void Dispose()
    {
        lock (_gate)
            _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }
}
