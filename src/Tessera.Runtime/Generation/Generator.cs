using System.Diagnostics;
using System.Text;
using Tessera.Runtime.Sampling;
using Tessera.Tokenizers;

namespace Tessera.Runtime.Generation;

/// <summary>
/// Generates text in a <see cref="Session"/>: evaluates the prompt (after whatever the session already holds, so a
/// conversation stays in the cache), then samples, streams and appends one token at a time until an
/// end-of-generation token, a stop string, the token limit, a full context or cancellation.
/// </summary>
public sealed class Generator(Session session, Tokenizer tokenizer)
{
    public Session Session { get; } = session;

    public Tokenizer Tokenizer { get; } = tokenizer;

    /// <param name="prompt">tokens to evaluate before generating (may be empty when the session already holds a prompt)</param>
    /// <param name="onText">receives generated text as soon as it is complete UTF-8 and cannot be part of a stop string</param>
    public GenerationResult Generate(ReadOnlySpan<int> prompt, Sampler sampler, GenerationOptions options,
        Action<string>? onText = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        Session.Append(prompt);
        if (Session.Length == 0)
            throw new ArgumentException("nothing to continue: the prompt is empty and the session holds no tokens", nameof(prompt));
        var promptTime = clock.Elapsed;

        var generated = new List<int>();
        var text = new StringBuilder();
        var decoder = Tokenizer.CreateStreamingDecoder();
        var filter = new StopStringFilter(options.StopStrings);
        var history = new int[Session.Length + Math.Min(Session.Remaining, options.MaxTokens > 0 ? options.MaxTokens : int.MaxValue)];
        int historyLength = Session.Length;
        for (int i = 0; i < historyLength; i++)
            history[i] = Session.Tokens[i];
        var matcher = options.Grammar is null ? null : new Grammars.GrammarMatcher(options.Grammar, Tokenizer);
        var masked = matcher is null ? null : new float[Session.Logits.Length];
        FinishReason reason = FinishReason.Length;
        while (true)
        {
            if (cancellation.IsCancellationRequested) { reason = FinishReason.Cancelled; break; }
            if (options.MaxTokens > 0 && generated.Count >= options.MaxTokens) { reason = FinishReason.Length; break; }
            if (Session.Remaining == 0) { reason = FinishReason.ContextFull; break; }

            int token;
            if (matcher is null)
                token = sampler.Sample(Session.Logits, history.AsSpan(0, historyLength));
            else
            {
                Session.Logits.CopyTo(masked);
                int left = Math.Min(Session.Remaining, options.MaxTokens > 0 ? options.MaxTokens - generated.Count : int.MaxValue);
                matcher.Apply(masked, left);
                token = sampler.Sample(masked, history.AsSpan(0, historyLength));
                matcher.Accept(token);
            }
            if (options.StopAtEndOfGeneration && Tokenizer.EndOfGenerationIds.Contains(token)) { reason = FinishReason.Stop; break; }
            generated.Add(token);
            string visible = filter.Push(decoder.Append(token));
            Emit(visible, text, onText);
            if (filter.Stopped || matcher is { IsComplete: true }) { reason = FinishReason.Stop; break; }
            Session.Append(token);
            history[historyLength++] = token;
        }
        if (!filter.Stopped)
            Emit(filter.Push(decoder.Flush()) + filter.Flush(), text, onText);
        return new GenerationResult(generated, text.ToString(), reason, prompt.Length, promptTime, clock.Elapsed - promptTime);
    }

    private static void Emit(string visible, StringBuilder text, Action<string>? onText)
    {
        if (visible.Length == 0)
            return;
        text.Append(visible);
        onText?.Invoke(visible);
    }
}
