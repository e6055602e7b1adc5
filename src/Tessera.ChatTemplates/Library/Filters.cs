using System.Globalization;
using System.Text;
using Tessera.ChatTemplates.Runtime;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Library;

internal delegate object? FilterFunction(Evaluator evaluator, object? value, Arguments arguments);

/// <summary>The filters (<c>value | name(args)</c>) on scalars and text; collection filters are in <see cref="CollectionFilters"/>.</summary>
internal static class Filters
{
    private static readonly Dictionary<string, FilterFunction> Table = new(StringComparer.Ordinal)
    {
        ["trim"] = (_, v, a) => StringMethods.Strip(PythonFormat.ToStr(v), a.Expect("trim", "chars").GetString(0, "chars"), true, true),
        ["lower"] = (_, v, a) => PythonFormat.ToStr(v).ToLowerInvariant(),
        ["upper"] = (_, v, a) => PythonFormat.ToStr(v).ToUpperInvariant(),
        ["title"] = (_, v, _) => Title(PythonFormat.ToStr(v)),
        ["capitalize"] = (_, v, _) => StringMethods.Capitalize(PythonFormat.ToStr(v)),
        ["replace"] = Replace,
        ["string"] = (_, v, _) => PythonFormat.ToStr(v),
        ["safe"] = (_, v, _) => PythonFormat.ToStr(v),
        ["escape"] = (_, v, _) => Escape(PythonFormat.ToStr(v)),
        ["e"] = (_, v, _) => Escape(PythonFormat.ToStr(v)),
        ["forceescape"] = (_, v, _) => Escape(PythonFormat.ToStr(v)),
        ["indent"] = Indent,
        ["center"] = (e, v, a) => Center(e, PythonFormat.ToStr(v), a.Expect("center", "width").GetInteger(0, "width", 80)),
        ["int"] = ToInt,
        ["float"] = ToFloat,
        ["abs"] = (_, v, _) => v switch
        {
            bool b => (object)(b ? 1L : 0L), // (object): keep int and float apart in the switch's type
            long l => l == long.MinValue ? throw new TemplateException("Integer overflow in abs") : Math.Abs(l),
            double d => Math.Abs(d),
            _ => throw new TemplateException($"bad operand type for abs(): '{PythonTypes.NameOf(v)}'"),
        },
        ["round"] = Round,
        ["tojson"] = ToJson,
        ["attr"] = (_, v, a) => Members.GetAttribute(v, a.Expect("attr", "name").GetString(0, "name") ?? ""),
        ["format"] = (e, v, a) => e.CheckSize(PrintfFormat.Format(PythonFormat.ToStr(v), a.Named.Count > 0 ? NamedArguments(a) : a.Positional.ToArray())),
        ["default"] = Default,
        ["d"] = Default,
    };

    public static object? Apply(Evaluator evaluator, string name, object? value, Arguments arguments)
    {
        evaluator.Step();
        if (Table.TryGetValue(name, out var filter))
        {
            evaluator.ChargeForSize(value); // text filters scan their input, or print a container first
            return filter(evaluator, value, arguments);
        }
        if (CollectionFilters.Table.TryGetValue(name, out filter)) return filter(evaluator, value, arguments); // they pay per item listed
        throw new TemplateException($"No filter named '{name}'");
    }

    public static bool Exists(string name) => Table.ContainsKey(name) || CollectionFilters.Table.ContainsKey(name);

    private static TemplateDict NamedArguments(Arguments args)
    {
        var dict = new TemplateDict();
        foreach (var (name, value) in args.Named) dict.Set(name, value);
        return dict;
    }

    private static object? Default(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("default", "default_value", "boolean");
        var useDefault = value is Undefined || (args.GetFlag(1, "boolean") && !PythonValues.IsTruthy(value));
        return useDefault ? args.Get(0, "default_value", "") : value;
    }

    private static object? Replace(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("replace", "old", "new", "count");
        var method = StringMethods.Find(PythonFormat.ToStr(value), "replace")!;
        var count = args.Get(2, "count");
        return method(evaluator, count is null or Undefined ? Arguments.Of(args.Get(0, "old"), args.Get(1, "new")) : Arguments.Of(args.Get(0, "old"), args.Get(1, "new"), count));
    }

    /// <summary>Jinja's title: upper-case the first letter of each word, words split at spaces and -([{&lt;.</summary>
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var wordStart = true;
        foreach (var c in s)
        {
            var separator = StringMethods.IsSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            sb.Append(separator ? c : wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = separator;
        }
        return sb.ToString();
    }

    private static string Escape(string s) => s
        .Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    /// <summary>Indents every line but the first (unless first=true); blank lines only when blank=true.</summary>
    private static object? Indent(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("indent", "width", "first", "blank");
        var width = args.Get(0, "width", 4L);
        var indentation = width as string ?? new string(' ', (int)Math.Clamp(args.GetInteger(0, "width", 4), 0, 1000));
        var lines = PythonFormat.ToStr(value).Split('\n');
        var blank = args.GetFlag(2, "blank");
        var sb = new StringBuilder(lines[0]);
        for (var i = 1; i < lines.Length; i++)
        {
            sb.Append('\n');
            if (lines[i].Length > 0 || (blank && i < lines.Length - 1)) sb.Append(indentation);
            sb.Append(lines[i]);
            evaluator.CheckSize(sb.Length);
        }
        if (args.GetFlag(1, "first")) sb.Insert(0, indentation);
        return evaluator.CheckSize(sb.ToString());
    }

    private static string Center(Evaluator evaluator, string s, long width)
    {
        evaluator.CheckSize(width);
        if (width <= s.Length) return s;
        var padding = (int)width - s.Length;
        var left = padding / 2 + (padding & (int)width & 1);
        return new string(' ', left) + s + new string(' ', padding - left);
    }

    private static object? ToInt(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("int", "default", "base");
        var fallback = args.Get(0, "default", 0L);
        var numberBase = (int)args.GetInteger(1, "base", 10);
        switch (value)
        {
            case bool b: return b ? 1L : 0L;
            case long l: return l;
            case double d: return double.IsFinite(d) && Math.Abs(d) < 9.2e18 ? (long)Math.Truncate(d) : fallback;
            case string s:
                var text = s.Trim().Replace("_", "");
                if (numberBase == 10 && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)) return parsed;
                if (numberBase != 10)
                {
                    try { return Convert.ToInt64(text, numberBase); }
                    catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { return fallback; }
                }
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d2) && double.IsFinite(d2) && Math.Abs(d2) < 9.2e18 ? (long)Math.Truncate(d2) : fallback;
            default: return fallback;
        }
    }

    private static object? ToFloat(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("float", "default");
        var fallback = args.Get(0, "default", 0.0);
        return value switch
        {
            bool b => b ? 1.0 : 0.0,
            long l => (object)(double)l,
            double d => d,
            string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            string s when s.Trim().ToLowerInvariant() is "inf" or "+inf" or "infinity" => double.PositiveInfinity,
            string s when s.Trim().ToLowerInvariant() is "-inf" or "-infinity" => double.NegativeInfinity,
            string s when s.Trim().ToLowerInvariant() is "nan" => double.NaN,
            _ => fallback,
        };
    }

    /// <summary>Python's round (ties to even) for 'common'; 'ceil' and 'floor' as named.</summary>
    private static object? Round(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("round", "precision", "method");
        var precision = (int)Math.Clamp(args.GetInteger(0, "precision", 0), -15, 15);
        var method = args.GetString(1, "method", "common");
        if (!PythonValues.TryGetNumber(value, out var number)) throw new TemplateException($"round() needs a number, not {PythonTypes.NameOf(value)}");
        if (PythonValues.TryGetInteger(value, out var integer) && method == "common")
        {
            if (precision >= 0) return integer; // round(int) stays an int
            var unit = Math.Pow(10, -precision);
            return (long)(Math.Round(integer / unit, MidpointRounding.ToEven) * unit);
        }
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => precision >= 0 ? Math.Round(number, Math.Min(precision, 15), MidpointRounding.ToEven) : Math.Round(number * scale, MidpointRounding.ToEven) / scale,
            "ceil" => Math.Ceiling(number * scale) / scale,
            "floor" => Math.Floor(number * scale) / scale,
            _ => throw new TemplateException("method must be common, ceil or floor"),
        };
    }

    /// <summary>
    /// Hugging Face's tojson: json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys).
    /// </summary>
    private static object? ToJson(Evaluator evaluator, object? value, Arguments args)
    {
        args.Expect("tojson", "indent", "ensure_ascii", "separators", "sort_keys");
        var indent = args.Get(0, "indent") switch
        {
            null or Undefined => null,
            string s => s,
            var n when PythonValues.TryGetInteger(n, out var spaces) => new string(' ', (int)Math.Clamp(spaces, 0, 100)),
            var other => throw new TemplateException($"tojson indent must be an integer or a string, not {PythonTypes.NameOf(other)}"),
        };
        string? itemSeparator = null, keySeparator = null;
        if (args.Get(2, "separators") is object?[] or List<object?>)
        {
            var parts = evaluator.ToList(args.Get(2, "separators"));
            if (parts.Count != 2 || parts[0] is not string item || parts[1] is not string key)
                throw new TemplateException("tojson separators must be a pair of strings");
            (itemSeparator, keySeparator) = (item, key);
        }
        var json = new JsonFormat(indent, args.GetFlag(1, "ensure_ascii"), args.GetFlag(3, "sort_keys"), itemSeparator, keySeparator);
        var text = evaluator.CheckSize(json.Serialize(value));
        evaluator.Step(json.ValuesWritten);
        return text;
    }
}
