namespace Tessera.Server.Api;

/// <summary>Ranges of request fields. OpenAI's documented ranges where it has them; the rest bound work per request.</summary>
internal static class RequestLimits
{
    public const double MaxTemperature = 2;
    public const double MaxPenalty = 2;

    /// <summary>Repetition penalties above this only scramble the output.</summary>
    public const double MaxRepeatPenalty = 10;

    /// <summary>Choices per prompt: each takes a slot.</summary>
    public const int MaxChoices = 8;

    /// <summary>Choices per request over all prompts of a text completion.</summary>
    public const int MaxChoicesPerRequest = 16;

    /// <summary>OpenAI allows up to 4 stop sequences.</summary>
    public const int MaxStopStrings = 4;

    /// <summary>Stop strings are held back while they might match, so their length bounds the text held back.</summary>
    public const int MaxStopLength = 256;

    /// <summary>Bias entries per request; each costs an addition per sampled token.</summary>
    public const int MaxLogitBiasEntries = 1024;
    public const double MaxLogitBias = 100;

    /// <summary>OpenAI's limits: 20 alternatives per token in chat, 5 in text completions.</summary>
    public const int MaxChatTopLogprobs = 20;
    public const int MaxCompletionLogprobs = 5;

    /// <summary>OpenAI's limit on the JSON nesting of a request.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Largest request body: a long conversation is well under this; more is a mistake or an attack.</summary>
    public const long MaxBodyBytes = 8 << 20;
}
