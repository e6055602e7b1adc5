namespace Tessera.ChatTemplates.Runtime;

/// <summary>
/// One level of variables. Loops and macro calls open a scope; <c>if</c> does not, so a <c>set</c> inside
/// an <c>if</c> is seen after it while a <c>set</c> inside a loop is not (Jinja's rules).
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._variables.TryGetValue(name, out value)) return true;
        }
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _variables[name] = value;
}
