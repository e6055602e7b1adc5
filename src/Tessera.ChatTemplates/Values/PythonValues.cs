namespace Tessera.ChatTemplates.Values;

/// <summary>Python truthiness, equality and ordering over the value model.</summary>
internal static class PythonValues
{
    public static bool IsTruthy(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        object?[] tuple => tuple.Length > 0,
        TemplateDict dict => dict.Count > 0,
        RangeValue range => range.Count > 0,
        _ => true,
    };

    /// <summary>Numeric value of bool, long or double; false when not a number.</summary>
    public static bool TryGetNumber(object? value, out double number)
    {
        switch (value)
        {
            case bool b: number = b ? 1 : 0; return true;
            case long l: number = l; return true;
            case double d: number = d; return true;
            default: number = 0; return false;
        }
    }

    /// <summary>Integer value of bool or long.</summary>
    public static bool TryGetInteger(object? value, out long integer)
    {
        switch (value)
        {
            case bool b: integer = b ? 1 : 0; return true;
            case long l: integer = l; return true;
            default: integer = 0; return false;
        }
    }

    public static bool AreEqual(object? a, object? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (TryGetInteger(a, out var ia) && TryGetInteger(b, out var ib)) return ia == ib;
        if (TryGetNumber(a, out var na) && TryGetNumber(b, out var nb)) return na == nb;
        return (a, b) switch
        {
            (string sa, string sb) => string.Equals(sa, sb, StringComparison.Ordinal),
            (List<object?> la, List<object?> lb) => SequenceEqual(la, lb),
            (object?[] ta, object?[] tb) => SequenceEqual(ta, tb),
            (TemplateDict da, TemplateDict db) => DictEqual(da, db),
            (RangeValue ra, RangeValue rb) => ra.Count == rb.Count && (ra.Count == 0 || (ra.Start == rb.Start && (ra.Count == 1 || ra.Step == rb.Step))),
            _ => false,
        };
    }

    private static bool SequenceEqual(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (!AreEqual(a[i], b[i])) return false;
        }
        return true;
    }

    private static bool DictEqual(TemplateDict a, TemplateDict b)
    {
        if (a.Count != b.Count) return false;
        foreach (var (key, value) in a.Items)
        {
            if (!b.TryGetValue(key, out var other) || !AreEqual(value, other)) return false;
        }
        return true;
    }

    /// <summary>Python ordering (&lt;): numbers, strings by code point, lists and tuples item by item.</summary>
    public static int Compare(object? a, object? b)
    {
        if (TryGetInteger(a, out var ia) && TryGetInteger(b, out var ib)) return ia.CompareTo(ib);
        if (TryGetNumber(a, out var na) && TryGetNumber(b, out var nb)) return na.CompareTo(nb);
        return (a, b) switch
        {
            (string sa, string sb) => CompareCodePoints(sa, sb),
            (List<object?> la, List<object?> lb) => CompareSequences(la, lb),
            (object?[] ta, object?[] tb) => CompareSequences(ta, tb),
            (Undefined u, _) => throw u.Error(),
            (_, Undefined u) => throw u.Error(),
            _ => throw new TemplateException($"'<' not supported between instances of '{PythonTypes.NameOf(a)}' and '{PythonTypes.NameOf(b)}'"),
        };
    }

    /// <summary>Ordinal comparison by Unicode code point (UTF-16 order differs above U+FFFF).</summary>
    public static int CompareCodePoints(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            if (a[i] == b[i]) continue;
            var (ca, cb) = (a[i], b[i]);
            if (char.IsSurrogate(ca) != char.IsSurrogate(cb)) return char.IsSurrogate(ca) ? 1 : -1;
            return ca.CompareTo(cb);
        }
        return a.Length.CompareTo(b.Length);
    }

    private static int CompareSequences(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            if (AreEqual(a[i], b[i])) continue;
            return Compare(a[i], b[i]);
        }
        return a.Count.CompareTo(b.Count);
    }
}
