using System.Globalization;
using System.Text;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Library;

/// <summary>
/// Python's printf-style formatting (<c>"%s: %05.2f" % args</c> and the <c>format</c> filter):
/// conversions s r d i f F e E x X o c %, flags - + 0 and space, width and precision.
/// </summary>
internal static class PrintfFormat
{
    public static string Format(string format, object? args)
    {
        var values = args is object?[] tuple ? tuple : new[] { args };
        var mapping = args as TemplateDict;
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                sb.Append(format[i]);
                continue;
            }
            if (++i >= format.Length) throw new TemplateException("incomplete format");
            object? value = null;
            var keyed = false;
            if (format[i] == '(')
            {
                var close = format.IndexOf(')', i);
                if (close < 0 || mapping is null) throw new TemplateException("format requires a mapping");
                value = mapping.TryGetValue(format[(i + 1)..close], out var found) ? found : throw new TemplateException($"KeyError: '{format[(i + 1)..close]}'");
                keyed = true;
                i = close + 1;
            }
            var flags = "";
            while (i < format.Length && "-+0 #".Contains(format[i])) flags += format[i++];
            var width = ReadNumber(format, ref i);
            int? precision = null;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = ReadNumber(format, ref i) ?? 0;
            }
            if (i >= format.Length) throw new TemplateException("incomplete format");
            var conversion = format[i];
            if (conversion == '%')
            {
                sb.Append('%');
                continue;
            }
            if (!keyed)
            {
                if (next >= values.Length) throw new TemplateException("not enough arguments for format string");
                value = values[next++];
            }
            sb.Append(Pad(Convert(conversion, value, flags, precision), width ?? 0, flags));
        }
        if (mapping is null && next < values.Length) throw new TemplateException("not all arguments converted during string formatting");
        return sb.ToString();
    }

    private static int? ReadNumber(string format, ref int i)
    {
        var start = i;
        while (i < format.Length && char.IsAsciiDigit(format[i]) && i - start < 4) i++;
        return i > start ? int.Parse(format.AsSpan(start, i - start), CultureInfo.InvariantCulture) : null;
    }

    private static string Convert(char conversion, object? value, string flags, int? precision)
    {
        var culture = CultureInfo.InvariantCulture;
        string Signed(string digits, bool negative) =>
            (negative ? "-" : flags.Contains('+') ? "+" : flags.Contains(' ') ? " " : "") + digits;
        double Number() => PythonValues.TryGetNumber(value, out var n) ? n : throw new TemplateException($"%{conversion} format: a real number is required, not {PythonTypes.NameOf(value)}");
        long Integer() => PythonValues.TryGetInteger(value, out var n) ? n
            : value is double d && double.IsFinite(d) ? (long)Math.Truncate(d)
            : throw new TemplateException($"%{conversion} format: a number is required, not {PythonTypes.NameOf(value)}");
        switch (conversion)
        {
            case 's': var s = PythonFormat.ToStr(value); return precision is { } p && p < s.Length ? s[..p] : s;
            case 'r': return PythonFormat.Repr(value);
            case 'd' or 'i' or 'u': var l = Integer(); return Signed(Math.Abs((decimal)l).ToString(culture), l < 0);
            case 'x' or 'X' or 'o':
                var n = Integer();
                var text = System.Convert.ToString(Math.Abs(n), conversion == 'o' ? 8 : 16);
                return Signed(conversion == 'X' ? text.ToUpperInvariant() : text, n < 0);
            case 'f' or 'F': var f = Number(); return Signed(Math.Abs(f).ToString("F" + Math.Clamp(precision ?? 6, 0, 50), culture), f < 0);
            case 'e' or 'E':
                var e = Number();
                var formatted = Math.Abs(e).ToString((conversion == 'e' ? "e" : "E") + Math.Clamp(precision ?? 6, 0, 50), culture);
                return Signed(formatted.Replace("e+0", "e+").Replace("e-0", "e-").Replace("E+0", "E+").Replace("E-0", "E-"), e < 0);
            case 'c':
                if (value is string c && CodePoints.Length(c) == 1) return c;
                var code = Integer();
                return code is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF)
                    ? char.ConvertFromUtf32((int)code)
                    : throw new TemplateException("%c arg not in range(0x110000)");
            default: throw new TemplateException($"unsupported format character '{conversion}'");
        }
    }

    private static string Pad(string text, int width, string flags)
    {
        if (text.Length >= width) return text;
        if (flags.Contains('-')) return text.PadRight(width);
        if (!flags.Contains('0') || text.Length == 0 || !(char.IsAsciiDigit(text[^1]) || text[^1] == '.')) return text.PadLeft(width);
        var sign = text[0] is '-' or '+' or ' ' ? text[..1] : "";
        return sign + text[sign.Length..].PadLeft(width - sign.Length, '0');
    }
}
