using System.Diagnostics;
using Tessera.Models;
using Tessera.Runtime;
using Tessera.Server.Metrics;
using Tessera.Tokenizers;

namespace Tessera.Server.Scheduling;

/// <summary>
/// Continuous batching over the slots of one <see cref="InferenceContext"/> (slot i is sequence i of the KV cache).
/// A dedicated thread repeats steps: start waiting jobs in free slots (the slot whose cached tokens share the longest
/// prefix with the prompt wins), drop cancelled jobs, then run ONE forward over the pending token of every generating
/// slot plus a chunk of pending prompts up to the batch size, and sample from the logits each slot gets back.
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

    public Scheduler(InferenceContext context, Tokenizer tokenizer, int maxQueue, ServerMetrics metrics)
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
        _logits = new float[_slots.Length * context.VocabularySize];
        _gauges = CurrentGauges();
        _thread = new Thread(Run) { IsBackground = true, Name = "tessera-scheduler" };
        _thread.Start();
    }

    public int SlotCount => _slots.Length;
    public int MaxQueue { get; set; }   // settable: a config reload changes it live

    /// <summary>Positions per slot.</summary>
    public int ContextSize => _context.ContextSize;

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
                var slot = ChooseSlot(job.Prompt);
                if (slot is null)
                    return;
                _waiting.Dequeue();
                _metrics.QueueWaits.Add(Stopwatch.GetElapsedTime(job.QueuedAt).TotalSeconds);   // alerts: queue time
                try
                {
                    slot.Start(job, _tokenizer, _context.VocabularySize, ++_useStamp);
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

    /// <summary>The free slot with the longest reusable prefix; among equals the least recently used.</summary>
    private Slot? ChooseSlot(int[] prompt)
    {
        Slot? best = null;
        int bestPrefix = -1;
        foreach (var slot in _slots)
        {
            if (slot.IsBusy)
                continue;
            int prefix = slot.ReusablePrefix(prompt);
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
        int decodeTokens = 0;
        foreach (var slot in _slots)
        {
            if (slot.PendingToken < 0)
                continue;
            _batch.Add(slot.PendingToken, slot.Tokens.Count, slot.SequenceId, wantsLogits: true);
            slot.Tokens.Add(slot.PendingToken);
            slot.PendingToken = -1;
            _logitRows.Add(slot);
            decodeTokens++;
        }
        // Prompts fill the rest of the batch, oldest job first, so a long prompt cannot starve decoding slots.
        _prefilling.Clear();
        foreach (var slot in _slots)
        {
            if (slot.IsPrefilling)
                _prefilling.Add(slot);
        }
        _prefilling.Sort(ByLastUsed);
        foreach (var slot in _prefilling)
        {
            int budget = _batch.Capacity - _batch.Count;
            if (budget == 0)
                break;
            var prompt = slot.Job!.Prompt;
            int take = Math.Min(budget, prompt.Length - slot.PromptCursor);
            for (int i = 0; i < take; i++)
            {
                int index = slot.PromptCursor + i;
                _batch.Add(prompt[index], slot.Tokens.Count, slot.SequenceId, wantsLogits: index == prompt.Length - 1);
                slot.Tokens.Add(prompt[index]);
            }
            slot.PromptCursor += take;
            if (slot.PromptCursor == prompt.Length)
                _logitRows.Add(slot);
        }

        int vocab = _context.VocabularySize;
        long started = Stopwatch.GetTimestamp();
        _context.Forward(_batch, _logits.AsSpan(0, _logitRows.Count * vocab));
        _metrics.RecordStep(_batch.Count - decodeTokens, decodeTokens, Stopwatch.GetElapsedTime(started).TotalSeconds);
        for (int row = 0; row < _logitRows.Count; row++)
            Sample(_logitRows[row], _logits.AsSpan(row * vocab, vocab));
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
            slot.Invalidate();
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
        long used = 0, cached = 0;
        int busy = 0;
        foreach (var slot in _slots)
        {
            if (slot.IsBusy) { busy++; used += slot.Tokens.Count; }
            else cached += slot.Tokens.Count;
        }
        return new SchedulerGauges(queued, busy, _slots.Length, used, cached, (long)_slots.Length * _context.ContextSize);
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
