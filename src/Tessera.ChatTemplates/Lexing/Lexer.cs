using System.Text;

namespace Tessera.ChatTemplates.Lexing;

/// <summary>
/// Splits template source into text and tag tokens, applying whitespace control the way Hugging Face
/// configures Jinja: <c>trim_blocks</c> (drop the newline after a block or comment tag),
/// <c>lstrip_blocks</c> (drop spaces and tabs before a block or comment tag that starts a line),
/// and the explicit <c>-</c> / <c>+</c> markers on tags. Comments vanish here; raw blocks become text.
/// </summary>
internal sealed class Lexer
{
    private readonly string _src;
    private readonly LineMap _lines;
    private readonly List<Token> _tokens = [];
    private int _pos;

    private Lexer(string source)
    {
        _src = NormalizeNewlines(source);
        _lines = new LineMap(_src);
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    /// <summary>Jinja treats \r\n and \r as \n and, by default, drops one trailing newline.</summary>
    private static string NormalizeNewlines(string source)
    {
        var text = source.Contains('\r') ? source.Replace("\r\n", "\n").Replace('\r', '\n') : source;
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    private void Run()
    {
        while (true)
        {
            var textStart = _pos;
            var tagAt = FindTagStart(_pos);
            if (tagAt < 0)
            {
                EmitText(_src[textStart..], textStart);
                break;
            }

            var kind = _src[tagAt + 1];
            var sign = SignAt(tagAt + 2);
            var text = StripBeforeTag(_src[textStart..tagAt], textStart, sign, kind != '{');
            EmitText(text, textStart);

            var inner = tagAt + 2 + (sign == '\0' ? 0 : 1);
            if (kind == '#') LexComment(tagAt, inner);
            else if (kind == '%' && TryMatchKeywordTag(tagAt, "raw", out _, out var rawClose, out var rawEnd) && rawClose != '+') LexRaw(rawClose, rawEnd);
            else LexTag(tagAt, inner, kind == '{');
        }
        _tokens.Add(new Token(TokenKind.End, "", _lines.At(_src.Length)));
    }

    private int FindTagStart(int from)
    {
        for (var i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
        {
            var next = _src[i + 1];
            if (next is '{' or '%' or '#') return i;
        }
        return -1;
    }

    private char SignAt(int index) => index < _src.Length && _src[index] is '-' or '+' ? _src[index] : '\0';

    /// <summary>Whitespace control on the text before a tag: '-' strips all, lstrip_blocks strips the line's indent.</summary>
    private string StripBeforeTag(string text, int textStart, char sign, bool isBlockOrComment)
    {
        if (sign == '-') return text.TrimEnd();
        if (sign == '+' || !isBlockOrComment) return text;

        var lineStart = text.LastIndexOf('\n') + 1;
        var startsLine = lineStart > 0 || textStart == 0 || _src[textStart - 1] == '\n';
        if (!startsLine) return text;
        for (var i = lineStart; i < text.Length; i++)
        {
            if (text[i] is not (' ' or '\t')) return text;
        }
        return text[..lineStart];
    }

    /// <summary>Whitespace control after a tag: '-' strips all, trim_blocks drops one newline.</summary>
    private void SkipAfterTag(char sign, bool trimNewline)
    {
        if (sign == '-')
        {
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos])) _pos++;
        }
        else if (sign != '+' && trimNewline && _pos < _src.Length && _src[_pos] == '\n')
        {
            _pos++;
        }
    }

    private void EmitText(string text, int offset)
    {
        if (text.Length > 0) _tokens.Add(new Token(TokenKind.Text, text, _lines.At(offset)));
    }

    private void LexComment(int tagAt, int inner)
    {
        var end = _src.IndexOf("#}", inner, StringComparison.Ordinal);
        if (end < 0) throw TemplateException.Syntax("Unclosed comment: missing '#}'", _lines.At(tagAt));
        var sign = end > inner ? SignAt(end - 1) : '\0';
        _pos = end + 2;
        SkipAfterTag(sign, trimNewline: true);
    }

    private void LexRaw(char openEndSign, int contentStart)
    {
        _pos = contentStart;
        SkipAfterTag(openEndSign, trimNewline: false);
        var start = _pos;
        for (var at = _src.IndexOf("{%", start, StringComparison.Ordinal); at >= 0; at = _src.IndexOf("{%", at + 2, StringComparison.Ordinal))
        {
            if (!TryMatchKeywordTag(at, "endraw", out var openSign, out var closeSign, out var end)) continue;
            EmitText(StripBeforeTag(_src[start..at], start, openSign, true), start);
            _pos = end;
            SkipAfterTag(closeSign, trimNewline: true);
            return;
        }
        throw TemplateException.Syntax("Missing '{% endraw %}' for a raw block", _lines.At(start));
    }

    /// <summary>Matches <c>{%[-+] keyword [-+]%}</c> at <paramref name="at"/>.</summary>
    private bool TryMatchKeywordTag(int at, string keyword, out char openSign, out char closeSign, out int end)
    {
        openSign = SignAt(at + 2);
        closeSign = '\0';
        end = 0;
        var i = at + 2 + (openSign == '\0' ? 0 : 1);
        while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
        if (string.CompareOrdinal(_src, i, keyword, 0, keyword.Length) != 0) return false;
        i += keyword.Length;
        if (i < _src.Length && (char.IsLetterOrDigit(_src[i]) || _src[i] == '_')) return false;
        while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
        closeSign = SignAt(i);
        if (closeSign != '\0') i++;
        if (string.CompareOrdinal(_src, i, "%}", 0, 2) != 0) return false;
        end = i + 2;
        return true;
    }

    private void LexTag(int tagAt, int inner, bool isVariable)
    {
        _tokens.Add(new Token(isVariable ? TokenKind.VariableBegin : TokenKind.BlockBegin, isVariable ? "{{" : "{%", _lines.At(tagAt)));
        var close = isVariable ? "}}" : "%}";
        var brackets = 0;
        _pos = inner;
        while (true)
        {
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos])) _pos++;
            if (_pos >= _src.Length)
                throw TemplateException.Syntax($"Unclosed tag: missing '{close}'", _lines.At(tagAt));

            if (brackets == 0 && TryCloseTag(close, isVariable)) return;
            brackets = LexExpressionToken(brackets);
        }
    }

    private bool TryCloseTag(string close, bool isVariable)
    {
        var sign = SignAt(_pos);
        if (isVariable && sign == '+') return false; // Jinja has no '+}}'
        var at = _pos + (sign == '\0' ? 0 : 1);
        if (string.CompareOrdinal(_src, at, close, 0, 2) != 0) return false;
        _tokens.Add(new Token(isVariable ? TokenKind.VariableEnd : TokenKind.BlockEnd, close, _lines.At(_pos)));
        _pos = at + 2;
        SkipAfterTag(sign, trimNewline: !isVariable);
        return true;
    }

    private static readonly string[] TwoCharOperators = ["//", "**", "==", "!=", "<=", ">="];
    private const string OneCharOperators = "+-*/%~<>=()[]{},.:|";

    /// <summary>Lexes one token inside a tag; returns the updated bracket depth.</summary>
    private int LexExpressionToken(int brackets)
    {
        var c = _src[_pos];
        var at = _lines.At(_pos);
        if (char.IsLetter(c) || c == '_')
        {
            var start = _pos;
            while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
            _tokens.Add(new Token(TokenKind.Name, _src[start.._pos], at));
            return brackets;
        }
        if (char.IsAsciiDigit(c))
        {
            LexNumber(at);
            return brackets;
        }
        if (c is '\'' or '"')
        {
            _tokens.Add(new Token(TokenKind.String, LexString(c, at), at));
            return brackets;
        }
        foreach (var op in TwoCharOperators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, 2) != 0) continue;
            _tokens.Add(new Token(TokenKind.Operator, op, at));
            _pos += 2;
            return brackets;
        }
        if (OneCharOperators.Contains(c))
        {
            _tokens.Add(new Token(TokenKind.Operator, c.ToString(), at));
            _pos++;
            return c switch
            {
                '(' or '[' or '{' => brackets + 1,
                ')' or ']' or '}' => Math.Max(0, brackets - 1),
                _ => brackets,
            };
        }
        throw TemplateException.Syntax($"Unexpected character '{c}'", at);
    }

    private void LexNumber(SourcePosition at)
    {
        var start = _pos;
        var afterDot = _tokens.Count > 0 && _tokens[^1].IsOperator(".");
        SkipDigits();
        var isFloat = false;
        if (!afterDot && _pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            _pos++;
            SkipDigits();
            isFloat = true;
        }
        if (!afterDot && _pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            var e = _pos + 1;
            if (e < _src.Length && _src[e] is '+' or '-') e++;
            if (e < _src.Length && char.IsAsciiDigit(_src[e]))
            {
                _pos = e;
                SkipDigits();
                isFloat = true;
            }
        }
        var digits = _src[start.._pos].Replace("_", "");
        _tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, digits, at));
    }

    private void SkipDigits()
    {
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || (_src[_pos] == '_' && _pos + 1 < _src.Length && char.IsAsciiDigit(_src[_pos + 1])))) _pos++;
    }

    private string LexString(char quote, SourcePosition at)
    {
        var sb = new StringBuilder();
        _pos++;
        while (true)
        {
            if (_pos >= _src.Length) throw TemplateException.Syntax("Unterminated string literal", at);
            var c = _src[_pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') sb.Append(c);
            else _pos = StringEscapes.Decode(_src, _pos, sb, at);
        }
    }
}
