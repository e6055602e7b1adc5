namespace Tessera.Runtime.Generation;

/// <summary>When generation stops.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate; 0 or less means until the context is full.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Text that ends generation when it appears; it is not part of the result.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Stop at the vocabulary's end-of-generation tokens (EOS, EOT, ...).</summary>
    public bool StopAtEndOfGeneration { get; init; } = true;

    /// <summary>When set, every generated token keeps the output inside this grammar (a GBNF grammar or a JSON
    /// schema), and generation stops once the output is complete and nothing more may follow.</summary>
    public Grammars.CompiledGrammar? Grammar { get; init; }
}

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>An end-of-generation token or a stop string.</summary>
    Stop,
    /// <summary>The token limit.</summary>
    Length,
    /// <summary>The session's context is full.</summary>
    ContextFull,
    /// <summary>The caller cancelled.</summary>
    Cancelled,
}

/// <summary>The outcome of <see cref="Generator.Generate"/>: generated ids and text, why it stopped, and timings.</summary>
public sealed record GenerationResult(
    IReadOnlyList<int> TokenIds,
    string Text,
    FinishReason FinishReason,
    int PromptTokens,
    TimeSpan PromptTime,
    TimeSpan GenerationTime);
