namespace Tessera.ChatTemplates.Values;

/// <summary>
/// A missing variable, attribute or item. Like Jinja's default Undefined it prints as "", is falsy, iterates
/// as empty and has length 0; arithmetic and calls on it fail. Unlike Jinja, attributes and items of an
/// undefined value are undefined too, so <c>a.b.c is defined</c> works when <c>a</c> is missing.
/// </summary>
internal sealed class Undefined
{
    public static readonly Undefined Anonymous = new(null);

    public Undefined(string? name, string? hint = null)
    {
        Name = name;
        Hint = hint;
    }

    /// <summary>What was looked up, for error messages.</summary>
    public string? Name { get; }

    /// <summary>Why it is missing, when more is known than the name.</summary>
    public string? Hint { get; }

    public TemplateException Error() => new(Hint ?? (Name is null ? "Value is undefined" : $"'{Name}' is undefined"));
}
