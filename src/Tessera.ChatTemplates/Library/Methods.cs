using Tessera.ChatTemplates.Runtime;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Library;

/// <summary>The methods templates may call on dicts and lists (strings are in <see cref="StringMethods"/>).</summary>
internal static class Methods
{
    public static bool TryBind(object? target, string name, out NativeFunction method)
    {
        method = null!;
        Func<Evaluator, Arguments, object?>? body = target switch
        {
            TemplateDict dict => DictMethod(dict, name),
            List<object?> list => ListMethod(list, name),
            string s => StringMethods.Find(s, name),
            _ => null,
        };
        if (body is null) return false;
        method = new NativeFunction(name, (evaluator, args) =>
        {
            if (target is string or List<object?>) evaluator.ChargeForSize(target); // find, count, index, split ... scan it
            return body(evaluator, args);
        });
        return true;
    }

    private static Func<Evaluator, Arguments, object?>? DictMethod(TemplateDict dict, string name) => name switch
    {
        "items" => (_, args) => NoArguments(args, "items", dict.Items.Select(p => (object?)new[] { p.Key, p.Value }).ToList()),
        "keys" => (_, args) => NoArguments(args, "keys", dict.Keys.Cast<object?>().ToList()),
        "values" => (_, args) => NoArguments(args, "values", dict.Values.ToList()),
        "get" => (_, args) =>
        {
            args.Expect("get", "key", "default");
            return dict.TryGetValue(args.Get(0, "key"), out var value) ? value : args.Get(1, "default");
        },
        "copy" => (_, args) => NoArguments(args, "copy", Copy(dict)),
        "update" => (_, args) =>
        {
            if (args.Get(0, "") is TemplateDict other) foreach (var (key, value) in other.Items) dict.Set(key, value);
            foreach (var (key, value) in args.Named) dict.Set(key, value);
            return null;
        },
        "pop" => (_, args) =>
        {
            args.Expect("pop", "key", "default");
            var key = args.Get(0, "key");
            if (dict.TryGetValue(key, out var value)) dict.Remove(key);
            else if (args.Has(1, "default")) value = args.Get(1, "default");
            else throw new TemplateException($"KeyError: {PythonFormat.Repr(key)}");
            return value;
        },
        _ => null,
    };

    private static Func<Evaluator, Arguments, object?>? ListMethod(List<object?> list, string name) => name switch
    {
        "append" => (evaluator, args) =>
        {
            args.Expect("append", "item");
            evaluator.CheckSize(list.Count + 1L);
            list.Add(args.Get(0, "item"));
            return null;
        },
        "extend" => (evaluator, args) =>
        {
            args.Expect("extend", "items");
            var items = evaluator.ToList(args.Get(0, "items"));
            evaluator.CheckSize((long)list.Count + items.Count);
            list.AddRange(items);
            return null;
        },
        "pop" => (_, args) =>
        {
            args.Expect("pop", "index");
            var index = args.GetInteger(0, "index", -1);
            var i = index < 0 ? index + list.Count : index;
            if (i < 0 || i >= list.Count) throw new TemplateException("pop index out of range");
            var value = list[(int)i];
            list.RemoveAt((int)i);
            return value;
        },
        "index" => (_, args) =>
        {
            args.Expect("index", "value");
            var at = list.FindIndex(x => PythonValues.AreEqual(x, args.Get(0, "value")));
            return at >= 0 ? (long)at : throw new TemplateException("value is not in list");
        },
        "count" => (_, args) =>
        {
            args.Expect("count", "value");
            return (long)list.Count(x => PythonValues.AreEqual(x, args.Get(0, "value")));
        },
        "copy" => (_, args) => NoArguments(args, "copy", list.ToList()),
        _ => null,
    };

    private static object? NoArguments(Arguments args, string name, object? result)
    {
        args.Expect(name);
        return result;
    }

    private static TemplateDict Copy(TemplateDict dict)
    {
        var copy = new TemplateDict();
        foreach (var (key, value) in dict.Items) copy.Set(key, value);
        return copy;
    }
}
