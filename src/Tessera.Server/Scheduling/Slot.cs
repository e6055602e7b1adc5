using System.Runtime.InteropServices;
using Tessera.Runtime.Generation;
using Tessera.Runtime.Sampling;
using Tessera.Tokenizers;

namespace Tessera.Server.Scheduling;

/// <summary>
/// One sequence of the shared KV cache and the choice running in it. <see cref="Tokens"/> are the tokens whose keys
/// and values the cache holds at positions 0..Count-1; they stay after a job ends so the next job sharing a prefix
/// starts after it (until the KV pool needs the slot's pages). Only the scheduler thread touches a slot.
/// </summary>
internal sealed class Slot(int sequenceId)
{
    public int SequenceId { get; } = sequenceId;

    /// <summary>Tokens in the cache, in position order.</summary>
    public List<int> Tokens { get; } = [];

    public GenerationJob? Job { get; private set; }

    /// <summary>Index of the next prompt token to evaluate; equals the prompt length once the prompt is done.</summary>
    public int PromptCursor { get; set; }

    /// <summary>The last sampled token, to be evaluated in the next step; -1 when none.</summary>
    public int PendingToken { get; set; } = -1;

    public int Generated { get; private set; }

    /// <summary>Prompt tokens found in the cache when the job started.</summary>
    public int CachedPromptTokens { get; private set; }

    /// <summary>Stopwatch ticks of the last generated token (or of the job's start), for inter-token latency.</summary>
    public long LastTokenAt { get; set; }

    /// <summary>Increases with every job, so the least recently used idle slot can be chosen.</summary>
    public long LastUsed { get; private set; }

    public Sampler? Sampler { get; private set; }

    /// <summary>Holds the output to the job's grammar; null when the job has none.</summary>
    public Runtime.Grammars.GrammarMatcher? Matcher { get; private set; }

    /// <summary>The logits with the grammar's mask applied (kept between jobs: one vocabulary-sized buffer per slot).</summary>
    private float[] _masked = [];

    private StreamingDecoder? _decoder;
    private StopStringFilter? _filter;

    public bool IsBusy => Job is not null;

    public bool IsPrefilling => Job is { } job && PromptCursor < job.Prompt.Length;

    public ReadOnlySpan<int> History => CollectionsMarshal.AsSpan(Tokens);

    /// <summary>Tokens of <paramref name="prompt"/> already in the cache, leaving at least one to evaluate (its logits start generation).</summary>
    public int ReusablePrefix(int[] prompt) => prompt.Length == 0 ? 0 : prompt.AsSpan(0, prompt.Length - 1).CommonPrefixLength(History);

    /// <summary>Starts <paramref name="job"/> with its first <paramref name="reuse"/> prompt tokens already in the cache.</summary>
    public void Start(GenerationJob job, int reuse, Tokenizer tokenizer, int vocabularySize, long useStamp)
    {
        Tokens.Clear();
        Tokens.AddRange(job.Prompt.AsSpan(0, reuse));
        Job = job;
        PromptCursor = reuse;
        CachedPromptTokens = reuse;
        PendingToken = -1;
        Generated = 0;
        LastUsed = useStamp;
        Sampler = new Sampler(job.Sampling, vocabularySize);
        Matcher = job.Grammar is null ? null : new Runtime.Grammars.GrammarMatcher(job.Grammar, tokenizer);
        _decoder = tokenizer.CreateStreamingDecoder();
        _filter = new StopStringFilter(job.StopStrings);
    }

    /// <summary>The logits to sample from: as they are, or masked by the grammar for <paramref name="tokensLeft"/> more tokens.</summary>
    public ReadOnlySpan<float> Constrain(ReadOnlySpan<float> logits, int tokensLeft)
    {
        if (Matcher is null)
            return logits;
        if (_masked.Length != logits.Length)
            _masked = new float[logits.Length];
        logits.CopyTo(_masked);
        Matcher.Apply(_masked, tokensLeft);
        return _masked;
    }

    /// <summary>Counts a generated token and returns the text it releases; <paramref name="stopMatched"/> tells whether a stop string appeared.</summary>
    public string Accept(int token, out bool stopMatched)
    {
        Generated++;
        string text = _filter!.Push(_decoder!.Append(token));
        stopMatched = _filter.Stopped;
        return text;
    }

    /// <summary>Ends the job; returns the text still held back (none after a stop string).</summary>
    public string Finish()
    {
        string rest = _filter is { Stopped: false } filter ? filter.Push(_decoder!.Flush()) + filter.Flush() : "";
        Job = null;
        Sampler = null;
        Matcher = null;
        _decoder = null;
        _filter = null;
        PendingToken = -1;
        return rest;
    }

    /// <summary>Forgets the cache contents (after a failed forward left them unknown).</summary>
    public void Invalidate() => Tokens.Clear();
}
