namespace Tessera.ChatTemplates;

/// <summary>What went wrong while parsing or rendering a template.</summary>
public enum TemplateErrorKind
{
    /// <summary>The template text is not valid template syntax.</summary>
    Syntax,
    /// <summary>An operation failed while rendering (type error, unknown filter, ...).</summary>
    Runtime,
    /// <summary>A safety limit (output size, steps, depth, template size) was exceeded.</summary>
    Limit,
    /// <summary>The template itself called <c>raise_exception(message)</c>.</summary>
    Raised,
}

/// <summary>
/// The single error type of the template engine. <see cref="Exception.Message"/> is the template's own
/// text for <see cref="TemplateErrorKind.Raised"/>; otherwise it names the problem and, when known, its place.
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string reason, TemplateErrorKind kind = TemplateErrorKind.Runtime, int line = 0, int column = 0)
        : base(Compose(reason, kind, line, column))
    {
        Reason = reason;
        Kind = kind;
        Line = line;
        Column = column;
    }

    /// <summary>The problem without its position.</summary>
    public string Reason { get; }

    public TemplateErrorKind Kind { get; }

    /// <summary>1-based line in the template source, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column in the template source, or 0 when unknown.</summary>
    public int Column { get; }

    internal static TemplateException Syntax(string reason, SourcePosition at) =>
        new(reason, TemplateErrorKind.Syntax, at.Line, at.Column);

    /// <summary>The same error located at <paramref name="at"/> when it has no position yet.</summary>
    internal TemplateException WithPosition(SourcePosition at) =>
        Line != 0 || at.Line == 0 ? this : new TemplateException(Reason, Kind, at.Line, at.Column);

    private static string Compose(string reason, TemplateErrorKind kind, int line, int column) =>
        kind == TemplateErrorKind.Raised || line == 0 ? reason : $"{reason} (line {line}, column {column})";
}
