using Tessera.ChatTemplates.Library;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

/// <summary>
/// Attribute and item access in Jinja's order: <c>a.b</c> tries methods and attributes before items,
/// <c>a['b']</c> tries items first. A miss yields <see cref="Undefined"/>, never an error.
/// </summary>
internal static class Members
{
    public static object? GetAttribute(object? target, string name) => target switch
    {
        Undefined undefined => new Undefined(undefined.Name is null ? null : undefined.Name + "." + name, undefined.Hint),
        TemplateDict dict => Methods.TryBind(dict, name, out var method) ? method
            : dict.TryGetValue(name, out var value) ? value : Missing(target, name),
        Namespace ns => ns.Attributes.TryGetValue(name, out var value) ? value : Missing(target, name),
        LoopContext loop => loop.GetAttribute(name),
        RangeValue range => name switch
        {
            "start" => range.Start,
            "stop" => range.Stop,
            "step" => range.Step,
            _ => Missing(target, name),
        },
        _ => Methods.TryBind(target, name, out var method) ? method : Missing(target, name),
    };

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined:
                return GetAttribute(target, PythonFormat.ToStr(key));
            case TemplateDict dict:
                if (dict.TryGetValue(key, out var value)) return value;
                break;
            case List<object?> list when PythonValues.TryGetInteger(key, out var index):
                return ElementAt(list, index, target);
            case object?[] tuple when PythonValues.TryGetInteger(key, out var index):
                return ElementAt(tuple, index, target);
            case string s when PythonValues.TryGetInteger(key, out var index):
                return CodePoints.HasSurrogates(s)
                    ? ElementAt(CodePoints.Split(s), index, target)
                    : index >= -s.Length && index < s.Length ? s[(int)(index < 0 ? index + s.Length : index)].ToString() : Missing(target, key);
            case RangeValue range when PythonValues.TryGetInteger(key, out var index):
                var i = index < 0 ? index + range.Count : index;
                return i >= 0 && i < range.Count ? range[i] : Missing(target, key);
        }
        return key is string name && target is not TemplateDict ? GetAttribute(target, name)
            : key is string method && target is TemplateDict d && Methods.TryBind(d, method, out var bound) ? bound
            : Missing(target, key);
    }

    private static object? ElementAt(IReadOnlyList<object?> items, long index, object? target)
    {
        var i = index < 0 ? index + items.Count : index;
        return i >= 0 && i < items.Count ? items[(int)i] : Missing(target, index);
    }

    private static Undefined Missing(object? target, object? key) =>
        new(null, $"'{PythonTypes.NameOf(target)} object' has no attribute or item {PythonFormat.Repr(key)}");
}
