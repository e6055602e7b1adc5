namespace Tessera.ChatTemplates;

/// <summary>Per-render settings. Limits default to <see cref="TemplateLimits"/> and may only be tightened.</summary>
public sealed record TemplateOptions
{
    public static readonly TemplateOptions Default = new();

    /// <summary>Clock for <c>strftime_now</c> (local time); the system clock when null.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>
    /// When true, reading an attribute or item of an undefined value fails, as with Jinja's default Undefined
    /// (<c>{{ missing.x }}</c> raises "'missing' is undefined"). By default such reads yield undefined.
    /// </summary>
    public bool StrictUndefinedAccess { get; init; }

    public int MaxOutputLength { get; init; } = TemplateLimits.MaxOutputLength;

    public long MaxSteps { get; init; } = TemplateLimits.MaxSteps;

    public int MaxDepth { get; init; } = TemplateLimits.MaxDepth;

    internal TemplateOptions Clamped() => this with
    {
        MaxOutputLength = Math.Clamp(MaxOutputLength, 0, TemplateLimits.MaxOutputLength),
        MaxSteps = Math.Clamp(MaxSteps, 0, TemplateLimits.MaxSteps),
        MaxDepth = Math.Clamp(MaxDepth, 1, TemplateLimits.MaxDepth),
    };
}
