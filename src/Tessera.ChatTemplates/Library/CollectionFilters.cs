using System.Text;
using Tessera.ChatTemplates.Runtime;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Library;

/// <summary>Filters over sequences and mappings: length, join, map, select, sort, items, dictsort, ...</summary>
internal static class CollectionFilters
{
    public static readonly Dictionary<string, FilterFunction> Table = new(StringComparer.Ordinal)
    {
        ["length"] = (_, v, _) => Length(v),
        ["count"] = (_, v, _) => Length(v),
        ["first"] = (e, v, _) => v is string s ? (s.Length > 0 ? CodePoints.Split(s)[0] : new Undefined("first")) : e.ToList(v) is { Count: > 0 } items ? items[0] : new Undefined("first"),
        ["last"] = (e, v, _) => e.ToList(v) is { Count: > 0 } items ? items[^1] : new Undefined("last"),
        ["list"] = (e, v, _) => e.ToList(v),
        ["reverse"] = (e, v, _) => v is string s ? string.Concat(CodePoints.Split(s).Reverse()) : Reversed(e.ToList(v)),
        ["join"] = Join,
        ["items"] = (e, v, _) => v switch
        {
            TemplateDict dict => Pairs(e, dict),
            Undefined => new List<object?>(),
            _ => throw new TemplateException("Can only get item pairs from a mapping."),
        },
        ["dictsort"] = DictSort,
        ["sort"] = Sort,
        ["unique"] = Unique,
        ["min"] = (e, v, a) => Extreme(e, v, a, "min", -1),
        ["max"] = (e, v, a) => Extreme(e, v, a, "max", 1),
        ["sum"] = Sum,
        ["map"] = Map,
        ["select"] = (e, v, a) => Select(e, v, a, attribute: false, keep: true),
        ["reject"] = (e, v, a) => Select(e, v, a, attribute: false, keep: false),
        ["selectattr"] = (e, v, a) => Select(e, v, a, attribute: true, keep: true),
        ["rejectattr"] = (e, v, a) => Select(e, v, a, attribute: true, keep: false),
        ["batch"] = Batch,
    };

    public static long Length(object? value) => value switch
    {
        string s => CodePoints.Length(s),
        List<object?> list => list.Count,
        object?[] tuple => tuple.Length,
        TemplateDict dict => dict.Count,
        RangeValue range => range.Count,
        Namespace ns => ns.Attributes.Count,
        Undefined => 0,
        _ => throw new TemplateException($"object of type '{PythonTypes.NameOf(value)}' has no len()"),
    };

    private static List<object?> Reversed(List<object?> items)
    {
        items.Reverse();
        return items;
    }

    private static List<object?> Pairs(Evaluator evaluator, TemplateDict dict)
    {
        evaluator.Step(dict.Count);
        return dict.Items.Select(p => (object?)new[] { p.Key, p.Value }).ToList();
    }

    /// <summary>Reads <c>attribute</c> as Jinja does: dotted paths, integer parts index sequences.</summary>
    private static object? GetPath(object? item, string path)
    {
        foreach (var part in path.Split('.'))
        {
            item = long.TryParse(part, out var index) ? Members.GetItem(item, index) : Members.GetItem(item, part);
        }
        return item;
    }

    private static Func<object?, object?> KeyFunction(Arguments args, int attributeIndex, bool caseSensitive)
    {
        var attribute = args.Get(attributeIndex, "attribute");
        return item =>
        {
            var key = attribute switch
            {
                null or Undefined => item,
                string path => GetPath(item, path),
                _ when PythonValues.TryGetInteger(attribute, out var index) => Members.GetItem(item, index),
                _ => throw new TemplateException("attribute must be a string or an integer"),
            };
            return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
        };
    }

    private static object? Join(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("join", "d", "attribute");
        var separator = PythonFormat.ToStr(args.Get(0, "d", ""));
        var key = KeyFunction(args, 1, caseSensitive: true);
        var sb = new StringBuilder();
        var first = true;
        foreach (var item in evaluator.ToList(value))
        {
            if (!first) sb.Append(separator);
            first = false;
            sb.Append(PythonFormat.ToStr(key(item)));
            evaluator.CheckSize(sb.Length);
        }
        return sb.ToString();
    }

    private static List<object?> Sorted(List<object?> items, Func<object?, object?> key, bool reverse)
    {
        var sorted = items.Select(item => (Key: key(item), Item: item)).ToList();
        var comparer = Comparer<object?>.Create(PythonValues.Compare);
        var ordered = reverse ? sorted.OrderByDescending(p => p.Key, comparer) : sorted.OrderBy(p => p.Key, comparer);
        try
        {
            return ordered.Select(p => p.Item).ToList();
        }
        catch (InvalidOperationException e) when (e.InnerException is TemplateException inner)
        {
            throw inner;
        }
    }

    private static object? Sort(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("sort", "reverse", "case_sensitive", "attribute");
        var items = evaluator.ToList(value);
        return Sorted(items, KeyFunction(args, 2, args.GetFlag(1, "case_sensitive")), args.GetFlag(0, "reverse"));
    }

    private static object? DictSort(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("dictsort", "case_sensitive", "by", "reverse");
        if (value is not TemplateDict dict) throw new TemplateException("dictsort needs a mapping");
        var byValue = args.GetString(1, "by", "key") switch
        {
            "key" => false,
            "value" => true,
            _ => throw new TemplateException("You can only sort by either \"key\" or \"value\""),
        };
        var caseSensitive = args.GetFlag(0, "case_sensitive");
        var pairs = Pairs(evaluator, dict);
        return Sorted(pairs, pair =>
        {
            var key = ((object?[])pair!)[byValue ? 1 : 0];
            return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
        }, args.GetFlag(2, "reverse"));
    }

    private static object? Unique(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("unique", "case_sensitive", "attribute");
        var key = KeyFunction(args, 1, args.GetFlag(0, "case_sensitive"));
        var seen = new HashSet<object>(PythonKeyComparer.Instance);
        var seenUnhashable = new List<object?>();
        var result = new List<object?>();
        foreach (var item in evaluator.ToList(value))
        {
            var k = key(item);
            var isNew = k is not null && PythonKeyComparer.IsHashable(k)
                ? seen.Add(k)
                : IsNewUnhashable(evaluator, seenUnhashable, k);
            if (isNew) result.Add(item);
        }
        return result;
    }

    /// <summary>Lists and dicts cannot be hashed: compare with each one seen (charged, as it is quadratic).</summary>
    private static bool IsNewUnhashable(Evaluator evaluator, List<object?> seen, object? key)
    {
        evaluator.Step(seen.Count);
        if (seen.Any(s => PythonValues.AreEqual(s, key))) return false;
        seen.Add(key);
        return true;
    }

    private static object? Extreme(Evaluator evaluator, object? value, Arguments args, string name, int sign)
    {
        args.Expect(name, "case_sensitive", "attribute");
        var key = KeyFunction(args, 1, args.GetFlag(0, "case_sensitive"));
        var items = evaluator.ToList(value);
        if (items.Count == 0) return new Undefined(name, $"{name}() of an empty sequence");
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            if (PythonValues.Compare(key(item), key(best)) * sign > 0) best = item;
        }
        return best;
    }

    private static object? Sum(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("sum", "attribute", "start");
        var key = KeyFunction(args, 0, caseSensitive: true);
        var total = args.Get(1, "start", 0L);
        foreach (var item in evaluator.ToList(value)) total = Operators.Binary(evaluator, "+", total, key(item));
        return total;
    }

    /// <summary><c>map(attribute='x', default=...)</c> or <c>map('filter', args...)</c>.</summary>
    private static object? Map(Evaluator evaluator, object? value, Arguments args)
    {
        var items = evaluator.ToList(value);
        if (args.Positional.Count == 0)
        {
            var attribute = args.Get(-1, "attribute") as string ?? throw new TemplateException("map needs a filter name or attribute=");
            var fallback = args.Has(-1, "default") ? args.Get(-1, "default") : null;
            return items.Select(item =>
            {
                var result = GetPath(item, attribute);
                return result is Undefined && fallback is not null ? fallback : result;
            }).ToList();
        }
        var filter = args.Positional[0] as string ?? throw new TemplateException("map filter name must be a string");
        var rest = args.Skip(1);
        return items.Select(item => Filters.Apply(evaluator, filter, item, rest)).ToList();
    }

    /// <summary>select/reject (by test on the item) and selectattr/rejectattr (by test on an attribute).</summary>
    private static object? Select(Evaluator evaluator, object? value, Arguments args, bool attribute, bool keep)
    {
        var skip = 0;
        string? path = null;
        if (attribute)
        {
            path = args.Positional.Count > 0 ? args.Positional[0] as string : null;
            if (path is null) throw new TemplateException("selectattr/rejectattr need an attribute name");
            skip = 1;
        }
        var test = args.Positional.Count > skip ? args.Positional[skip] as string ?? throw new TemplateException("test name must be a string") : null;
        var testArgs = args.Skip(skip + 1);
        var result = new List<object?>();
        foreach (var item in evaluator.ToList(value))
        {
            var subject = path is null ? item : GetPath(item, path);
            var passed = test is null ? PythonValues.IsTruthy(subject) : Tests.Apply(evaluator, test, subject, testArgs);
            if (passed == keep) result.Add(item);
        }
        return result;
    }

    private static object? Batch(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("batch", "linecount", "fill_with");
        var size = args.GetInteger(0, "linecount", 1);
        if (size < 1) throw new TemplateException("batch size must be positive");
        evaluator.CheckSize(size);
        var fill = args.Has(1, "fill_with") ? args.Get(1, "fill_with") : null;
        var items = evaluator.ToList(value);
        var batches = new List<object?>();
        for (var i = 0; i < items.Count; i += (int)Math.Min(size, int.MaxValue))
        {
            var batch = items.Skip(i).Take((int)Math.Min(size, int.MaxValue)).ToList();
            if (args.Has(1, "fill_with")) while (batch.Count < size) batch.Add(fill);
            batches.Add(batch);
        }
        return batches;
    }
}
