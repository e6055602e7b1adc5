using Tessera.Runtime.Sampling;

namespace Tessera.Server.Api;

/// <summary>The fields chat and text completions share, validated.</summary>
public sealed record GenerationSettings
{
    public string? Model { get; init; }
    public required SamplerOptions Sampling { get; init; }

    /// <summary>max_tokens (or max_completion_tokens); null means up to the context.</summary>
    public int? MaxTokens { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public int ChoiceCount { get; init; } = 1;
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    public bool Logprobs { get; init; }
    public int TopLogprobs { get; init; }

    /// <summary>The grammar the output must follow (response_format, grammar or json_schema); null when free.</summary>
    public Runtime.Grammars.CompiledGrammar? Grammar { get; init; }

    /// <summary>llama-server's cache_prompt: reuse cached prompt tokens (default) or compute the prompt afresh.</summary>
    public bool CachePrompt { get; init; } = true;
}
