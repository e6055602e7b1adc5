namespace Tessera.ChatTemplates;

/// <summary>
/// Safety limits that keep a hostile template from hanging, exhausting memory or the stack.
/// Each is generous for real chat templates (a few KiB of source, a loop over the messages).
/// </summary>
public static class TemplateLimits
{
    /// <summary>Largest template source accepted (characters); real chat templates are under 50 KiB.</summary>
    public const int MaxTemplateLength = 1 << 20;

    /// <summary>
    /// Largest rendered text, and largest string or list built while rendering (characters / items).
    /// A long conversation is the whole output, so this is larger than any context window in text.
    /// </summary>
    public const int MaxOutputLength = 16 << 20;

    /// <summary>
    /// Most evaluation steps per render (statements run, loop iterations, macro calls, items materialised).
    /// Bounds the time of loops such as nested ranges; a chat render takes a few steps per message.
    /// </summary>
    public const long MaxSteps = 1_000_000;

    /// <summary>
    /// Deepest nesting of blocks and brackets in the source, of macro calls at render time and of values
    /// printed or serialised; keeps recursion far from the thread's stack limit.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>Throws the depth limit error for nested <paramref name="what"/> (values, input) deeper than <see cref="MaxDepth"/>.</summary>
    internal static void CheckDepth(int depth, string what)
    {
        if (depth > MaxDepth)
            throw new TemplateException($"{what} nesting exceeds the limit of {MaxDepth} (MaxDepth)", TemplateErrorKind.Limit);
    }
}
