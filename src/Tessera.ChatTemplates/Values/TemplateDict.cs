namespace Tessera.ChatTemplates.Values;

/// <summary>A Python dict: insertion-ordered, keys compared with Python equality (1 == 1.0 == True).</summary>
internal sealed class TemplateDict
{
    private readonly OrderedDictionary<object, object?> _items = new(PythonKeyComparer.Instance);

    public int Count => _items.Count;

    public IEnumerable<object> Keys => _items.Keys;

    public IEnumerable<object?> Values => _items.Values;

    public IEnumerable<KeyValuePair<object, object?>> Items => _items;

    public bool TryGetValue(object? key, out object? value)
    {
        value = null;
        return key is not null && PythonKeyComparer.IsHashable(key) && _items.TryGetValue(key, out value);
    }

    public bool ContainsKey(object? key) => TryGetValue(key, out _);

    public void Set(object? key, object? value)
    {
        if (key is null) throw new TemplateException("None is not supported as a dict key");
        if (!PythonKeyComparer.IsHashable(key)) throw new TemplateException($"unhashable type: '{PythonTypes.NameOf(key)}'");
        _items[key] = value;
    }

    public bool Remove(object? key) => key is not null && PythonKeyComparer.IsHashable(key) && _items.Remove(key);
}
