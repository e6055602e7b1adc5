using Tessera.ChatTemplates.Runtime;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Library;

/// <summary>The tests of <c>value is name(args)</c>, with Jinja's meanings (bool counts as a number).</summary>
internal static class Tests
{
    private delegate bool TestFunction(Evaluator evaluator, object? value, Arguments arguments);

    private static readonly Dictionary<string, TestFunction> Table = new(StringComparer.Ordinal)
    {
        ["defined"] = (_, v, _) => v is not Undefined,
        ["undefined"] = (_, v, _) => v is Undefined,
        ["none"] = (_, v, _) => v is null,
        ["string"] = (_, v, _) => v is string,
        ["number"] = (_, v, _) => PythonTypes.IsNumber(v),
        ["integer"] = (_, v, _) => v is long,
        ["float"] = (_, v, _) => v is double,
        ["boolean"] = (_, v, _) => v is bool,
        ["true"] = (_, v, _) => v is true,
        ["false"] = (_, v, _) => v is false,
        ["mapping"] = (_, v, _) => v is TemplateDict,
        ["iterable"] = (_, v, _) => PythonTypes.IsIterable(v),
        ["sequence"] = (_, v, _) => PythonTypes.IsSequence(v),
        ["callable"] = (_, v, _) => v is ICallable,
        ["odd"] = (_, v, _) => Integer(v, "odd") % 2 != 0,
        ["even"] = (_, v, _) => Integer(v, "even") % 2 == 0,
        ["divisibleby"] = (_, v, a) => a.GetInteger(0, "num", 1) is var n && n != 0
            ? Integer(v, "divisibleby") % n == 0
            : throw new TemplateException("integer division or modulo by zero"),
        ["lower"] = (_, v, _) => v is string s && s == s.ToLowerInvariant(),
        ["upper"] = (_, v, _) => v is string s && s == s.ToUpperInvariant(),
        ["sameas"] = (_, v, a) => SameAs(v, a.Get(0, "other")),
        ["in"] = (_, v, a) => Operators.Contains(a.Get(0, "seq"), v),
        ["filter"] = (_, v, _) => v is string name && Filters.Exists(name),
        ["test"] = (_, v, _) => v is string name && Table!.ContainsKey(name),
        ["escaped"] = (_, _, _) => false,
    };

    static Tests()
    {
        Comparison("==", "equalto", "eq");
        Comparison("!=", "ne");
        Comparison("<", "lt", "lessthan");
        Comparison("<=", "le");
        Comparison(">", "gt", "greaterthan");
        Comparison(">=", "ge");
    }

    private static void Comparison(string op, params string[] names)
    {
        foreach (var name in names.Append(op))
        {
            Table[name] = (e, v, a) => PythonValues.IsTruthy(Operators.Binary(e, op, v, a.Get(0, "other")));
        }
    }

    /// <summary>Tests that take an argument besides the value; all others take none.</summary>
    private static readonly HashSet<string> OneArgumentTests =
        ["divisibleby", "sameas", "in", "equalto", "eq", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">="];

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static bool Apply(Evaluator evaluator, string name, object? value, Arguments arguments)
    {
        evaluator.Step();
        if (!Table.TryGetValue(name, out var test)) throw new TemplateException($"No test named '{name}'");
        var expected = OneArgumentTests.Contains(name) ? 1 : 0;
        var given = arguments.Positional.Count + arguments.Named.Count;
        if (given != expected) throw new TemplateException($"The '{name}' test takes {expected} argument(s), {given} given");
        return test(evaluator, value, arguments);
    }

    private static long Integer(object? value, string test) => PythonValues.TryGetInteger(value, out var n)
        ? n
        : value is double d && d == Math.Floor(d) && Math.Abs(d) < 9e18 ? (long)d
        : throw new TemplateException($"The '{test}' test needs an integer, not {PythonTypes.NameOf(value)}");

    /// <summary>Python's <c>is</c>: identity for None, booleans and containers; equal small values for numbers and strings.</summary>
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (string x, string y) => x == y,
        (Undefined, Undefined) => true,
        _ => ReferenceEquals(a, b),
    };
}
