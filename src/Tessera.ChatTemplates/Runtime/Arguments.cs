using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

/// <summary>Evaluated arguments of a call, filter or test, looked up by position or keyword.</summary>
internal sealed class Arguments(IReadOnlyList<object?> positional, IReadOnlyList<(string Name, object? Value)> named)
{
    public static readonly Arguments None = new([], []);

    public IReadOnlyList<object?> Positional { get; } = positional;

    public IReadOnlyList<(string Name, object? Value)> Named { get; } = named;

    public static Arguments Of(params object?[] positional) => new(positional, []);

    public bool Has(int index, string name) => index < Positional.Count || Named.Any(n => n.Name == name);

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < Positional.Count) return Positional[index];
        foreach (var (key, value) in Named)
        {
            if (key == name) return value;
        }
        return fallback;
    }

    public bool GetFlag(int index, string name, bool fallback = false) =>
        Has(index, name) ? PythonValues.IsTruthy(Get(index, name)) : fallback;

    public long GetInteger(int index, string name, long fallback)
    {
        var value = Get(index, name, fallback);
        return PythonValues.TryGetInteger(value, out var integer)
            ? integer
            : throw new TemplateException($"Argument '{name}' must be an integer, not {PythonTypes.NameOf(value)}");
    }

    public string? GetString(int index, string name, string? fallback = null) => Get(index, name, fallback) switch
    {
        null => null,
        string s => s,
        Undefined => fallback,
        var other => throw new TemplateException($"Argument '{name}' must be a string, not {PythonTypes.NameOf(other)}"),
    };

    /// <summary>Rejects extra positional arguments and unknown keywords for <paramref name="function"/>.</summary>
    public Arguments Expect(string function, params string[] names)
    {
        if (Positional.Count > names.Length)
            throw new TemplateException($"{function}() takes at most {names.Length} argument(s) ({Positional.Count} given)");
        foreach (var (key, _) in Named)
        {
            var index = Array.IndexOf(names, key);
            if (index < 0) throw new TemplateException($"{function}() got an unexpected keyword argument '{key}'");
            if (index < Positional.Count) throw new TemplateException($"{function}() got multiple values for argument '{key}'");
        }
        return this;
    }

    /// <summary>The arguments after the first <paramref name="count"/> positional ones (for select-style filters).</summary>
    public Arguments Skip(int count) => new(Positional.Skip(count).ToList(), Named);
}
