using Tessera.ChatTemplates.Runtime;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Library;

/// <summary>Global functions: range, namespace, dict, raise_exception and strftime_now.</summary>
internal static class Globals
{
    public static Scope CreateScope()
    {
        var scope = new Scope(null);
        foreach (var function in Functions) scope.Set(function.Name, function);
        return scope;
    }

    private static readonly NativeFunction[] Functions =
    [
        new("range", (_, args) => Range(args)),
        new("namespace", (_, args) => MakeNamespace(args)),
        new("dict", (_, args) => MakeDict(args)),
        new("raise_exception", (_, args) =>
            throw new TemplateException(PythonFormat.ToStr(args.Get(0, "message", "")), TemplateErrorKind.Raised)),
        new("strftime_now", (evaluator, args) =>
        {
            var format = args.Expect("strftime_now", "format").GetString(0, "format") ?? throw new TemplateException("strftime_now needs a format");
            var now = (evaluator.Options.Clock ?? TimeProvider.System).GetLocalNow().DateTime;
            return evaluator.CheckSize(Strftime.Format(now, format));
        }),
    ];

    private static RangeValue Range(Arguments args)
    {
        args.Expect("range", "start", "stop", "step");
        var numbers = args.Positional.Select(v => PythonValues.TryGetInteger(v, out var n)
            ? n
            : throw new TemplateException($"'{PythonTypes.NameOf(v)}' object cannot be interpreted as an integer")).ToArray();
        return numbers.Length switch
        {
            1 => new RangeValue(0, numbers[0], 1),
            2 => new RangeValue(numbers[0], numbers[1], 1),
            3 when numbers[2] != 0 => new RangeValue(numbers[0], numbers[1], numbers[2]),
            3 => throw new TemplateException("range() arg 3 must not be zero"),
            _ => throw new TemplateException($"range expected 1 to 3 arguments, got {numbers.Length}"),
        };
    }

    private static Namespace MakeNamespace(Arguments args)
    {
        var ns = new Namespace();
        Merge(ns.Attributes, args, "namespace");
        return ns;
    }

    private static TemplateDict MakeDict(Arguments args)
    {
        var dict = new TemplateDict();
        Merge(dict, args, "dict");
        return dict;
    }

    /// <summary>An optional mapping argument, then keyword arguments, as Python's dict(...) takes them.</summary>
    private static void Merge(TemplateDict target, Arguments args, string name)
    {
        if (args.Positional.Count > 1) throw new TemplateException($"{name}() takes at most one positional argument");
        if (args.Positional.Count == 1)
        {
            if (args.Positional[0] is not TemplateDict source) throw new TemplateException($"{name}() positional argument must be a mapping");
            foreach (var (key, value) in source.Items) target.Set(key, value);
        }
        foreach (var (key, value) in args.Named) target.Set(key, value);
    }
}
