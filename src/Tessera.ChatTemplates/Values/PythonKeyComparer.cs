namespace Tessera.ChatTemplates.Values;

/// <summary>Python's hashing rules for dict keys: numbers by value, strings ordinally, tuples by items.</summary>
internal sealed class PythonKeyComparer : IEqualityComparer<object>
{
    public static readonly PythonKeyComparer Instance = new();

    public static bool IsHashable(object key) => key switch
    {
        List<object?> or TemplateDict => false,
        object?[] tuple => tuple.All(item => item is null || IsHashable(item)),
        _ => true,
    };

    public new bool Equals(object? x, object? y) => PythonValues.AreEqual(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d => d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
        string s => StringComparer.Ordinal.GetHashCode(s),
        object?[] tuple => tuple.Aggregate(17, (hash, item) => hash * 31 + (item is null ? 0 : GetHashCode(item))),
        _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
    };
}
