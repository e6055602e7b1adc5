using System.Threading.Channels;
using Tessera.Runtime.Sampling;

namespace Tessera.Server.Scheduling;

/// <summary>
/// One choice to generate: a tokenized prompt, how to sample and when to stop. The scheduler runs it in a slot and
/// writes its progress to <see cref="Events"/>, tagged with <see cref="ChoiceIndex"/> so the choices of one request
/// can share a channel. Cancelling <see cref="Cancellation"/> frees the slot at the next step.
/// </summary>
public sealed class GenerationJob
{
    public GenerationJob(int choiceIndex, int[] prompt, SamplerOptions sampling, int maxTokens, IReadOnlyList<string> stopStrings,
        int topLogprobs, bool wantsLogprobs, ChannelWriter<JobEvent> events, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfZero(prompt.Length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        ChoiceIndex = choiceIndex;
        Prompt = prompt;
        Sampling = sampling;
        MaxTokens = maxTokens;
        StopStrings = stopStrings;
        TopLogprobs = topLogprobs;
        WantsLogprobs = wantsLogprobs;
        Events = events;
        Cancellation = cancellation;
    }

    public int ChoiceIndex { get; }
    public int[] Prompt { get; }
    public SamplerOptions Sampling { get; }
    public int MaxTokens { get; }
    public IReadOnlyList<string> StopStrings { get; }

    /// <summary>Alternatives reported per generated token (0..20) when <see cref="WantsLogprobs"/>.</summary>
    public int TopLogprobs { get; }
    public bool WantsLogprobs { get; }
    public ChannelWriter<JobEvent> Events { get; }
    public CancellationToken Cancellation { get; }

    /// <summary>The grammar the output must follow; null when free.</summary>
    public Runtime.Grammars.CompiledGrammar? Grammar { get; init; }

    /// <summary>Reuse cached prompt tokens (llama-server's cache_prompt); false computes the whole prompt again.</summary>
    public bool CachePrompt { get; init; } = true;

    /// <summary>The type this job's keys and values are kept in (the load-shedding ladder's Q8_0 rung); null: the cache's
    /// own. Ignored where the cache cannot hold it.</summary>
    public Tensors.GgmlType? KvType { get; init; }

    /// <summary>When the job was queued (Stopwatch ticks), for time-to-first-token.</summary>
    public long QueuedAt { get; internal set; }
}
