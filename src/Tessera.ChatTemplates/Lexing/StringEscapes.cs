using System.Globalization;
using System.Text;

namespace Tessera.ChatTemplates.Lexing;

/// <summary>Backslash escapes in string literals, with Python's meanings (unknown escapes stay as written).</summary>
internal static class StringEscapes
{
    /// <summary>Decodes the escape whose letter is at <paramref name="pos"/> (just after the backslash).</summary>
    /// <returns>The position after the escape.</returns>
    public static int Decode(string src, int pos, StringBuilder sb, SourcePosition at)
    {
        if (pos >= src.Length) throw TemplateException.Syntax("Unterminated string literal", at);
        var c = src[pos];
        switch (c)
        {
            case '\n': return pos + 1; // line continuation
            case '\\': case '\'': case '"': sb.Append(c); return pos + 1;
            case 'n': sb.Append('\n'); return pos + 1;
            case 't': sb.Append('\t'); return pos + 1;
            case 'r': sb.Append('\r'); return pos + 1;
            case 'b': sb.Append('\b'); return pos + 1;
            case 'f': sb.Append('\f'); return pos + 1;
            case 'v': sb.Append('\v'); return pos + 1;
            case 'a': sb.Append('\a'); return pos + 1;
            case 'x': return AppendHex(src, pos + 1, 2, sb, at);
            case 'u': return AppendHex(src, pos + 1, 4, sb, at);
            case 'U': return AppendHex(src, pos + 1, 8, sb, at);
        }
        if (c is >= '0' and <= '7')
        {
            var end = pos;
            var value = 0;
            while (end < src.Length && end < pos + 3 && src[end] is >= '0' and <= '7') value = value * 8 + (src[end++] - '0');
            sb.Append((char)value);
            return end;
        }
        sb.Append('\\').Append(c);
        return pos + 1;
    }

    private static int AppendHex(string src, int pos, int digits, StringBuilder sb, SourcePosition at)
    {
        if (pos + digits > src.Length ||
            !int.TryParse(src.AsSpan(pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) ||
            code < 0 || code > 0x10FFFF || (code is >= 0xD800 and <= 0xDFFF && digits == 8))
        {
            throw TemplateException.Syntax($"Invalid \\{src[pos - 1]} escape in string literal", at);
        }
        if (code <= 0xFFFF) sb.Append((char)code);
        else sb.Append(char.ConvertFromUtf32(code));
        return pos + digits;
    }
}
