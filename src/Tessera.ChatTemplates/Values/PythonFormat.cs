using System.Globalization;
using System.Text;

namespace Tessera.ChatTemplates.Values;

/// <summary>Python's str() and repr() of values: None, True, 1.0, ['a', 'b'], {'k': 'v'}, ('a',).</summary>
internal static class PythonFormat
{
    public static string ToStr(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(value),
    };

    public static string Repr(object? value)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, value, 0);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? value, int depth)
    {
        TemplateLimits.CheckDepth(depth, "Value");
        switch (value)
        {
            case null: sb.Append("None"); break;
            case Undefined: break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FormatFloat(d)); break;
            case string s: AppendQuoted(sb, s); break;
            case List<object?> list: AppendItems(sb, list, "[", "]", depth); break;
            case object?[] tuple: AppendItems(sb, tuple, "(", tuple.Length == 1 ? ",)" : ")", depth); break;
            case TemplateDict dict: AppendDict(sb, dict, depth); break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendDict(sb, ns.Attributes, depth);
                sb.Append('>');
                break;
            case RangeValue r:
                sb.Append("range(").Append(r.Start).Append(", ").Append(r.Stop);
                if (r.Step != 1) sb.Append(", ").Append(r.Step);
                sb.Append(')');
                break;
            case ICallable f: sb.Append("<function ").Append(f.Name).Append('>'); break;
            default: sb.Append('<').Append(PythonTypes.NameOf(value)).Append('>'); break;
        }
    }

    private static void AppendItems(StringBuilder sb, IReadOnlyList<object?> items, string open, string close, int depth)
    {
        sb.Append(open);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendRepr(sb, items[i], depth + 1);
        }
        sb.Append(close);
    }

    private static void AppendDict(StringBuilder sb, TemplateDict dict, int depth)
    {
        sb.Append('{');
        var first = true;
        foreach (var (key, item) in dict.Items)
        {
            if (!first) sb.Append(", ");
            first = false;
            AppendRepr(sb, key, depth + 1);
            sb.Append(": ");
            AppendRepr(sb, item, depth + 1);
        }
        sb.Append('}');
    }

    /// <summary>repr(str): single quotes unless the text has ' and no ", escapes for unprintable characters.</summary>
    private static void AppendQuoted(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
            }
            if (c == quote)
            {
                sb.Append('\\').Append(c);
                continue;
            }
            var codePoint = char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? char.ConvertToUtf32(c, s[++i]) : c;
            if (IsPrintable(codePoint)) sb.Append(char.ConvertFromUtf32(codePoint)); // never a lone surrogate here
            else if (codePoint < 0x100) sb.Append("\\x").Append(codePoint.ToString("x2", CultureInfo.InvariantCulture));
            else if (codePoint < 0x10000) sb.Append("\\u").Append(codePoint.ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append("\\U").Append(codePoint.ToString("x8", CultureInfo.InvariantCulture));
        }
        sb.Append(quote);
    }

    /// <summary>Python's str.isprintable: not a control, format, surrogate, private, unassigned or non-space separator.</summary>
    private static bool IsPrintable(int codePoint)
    {
        if (codePoint == ' ') return true;
        var category = codePoint <= 0xFFFF ? CharUnicodeInfo.GetUnicodeCategory((char)codePoint) : CharUnicodeInfo.GetUnicodeCategory(codePoint);
        return category is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }

    /// <summary>
    /// Python's repr(float): the shortest digits that round-trip, positional when the decimal exponent is in
    /// [-4, 16), otherwise scientific with a signed two-digit exponent; always a '.0' for whole numbers.
    /// </summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";

        var text = d.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        if (negative) text = text[1..];
        var exponentAt = text.IndexOfAny(['E', 'e']);
        var exponent = exponentAt < 0 ? 0 : int.Parse(text.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = exponentAt < 0 ? text : text[..exponentAt];
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var pointAt = (dot < 0 ? mantissa.Length : dot) + exponent; // value = 0.digits * 10^pointAt
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        pointAt -= leadingZeros;

        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (pointAt is > -4 and <= 16)
        {
            if (pointAt <= 0) sb.Append("0.").Append('0', -pointAt).Append(digits);
            else if (pointAt >= digits.Length) sb.Append(digits).Append('0', pointAt - digits.Length).Append(".0");
            else sb.Append(digits, 0, pointAt).Append('.').Append(digits, pointAt, digits.Length - pointAt);
        }
        else
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            var e = pointAt - 1;
            sb.Append(e < 0 ? "e-" : "e+").Append(Math.Abs(e).ToString("00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
