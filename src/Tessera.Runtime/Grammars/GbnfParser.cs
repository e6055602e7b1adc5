using System.Globalization;
using System.Text;

namespace Tessera.Runtime.Grammars;

/// <summary>
/// Reads grammars in GBNF, the BNF dialect llama.cpp users write: <c>name ::= alternatives</c> rules, <c>|</c>,
/// string literals <c>"..."</c>, character classes <c>[a-z]</c> / <c>[^"\\]</c>, <c>.</c> (any character), groups,
/// <c>* + ?</c> and <c>{m}</c> <c>{m,}</c> <c>{m,n}</c> repetition, <c>#</c> comments. Escapes: <c>\n \r \t \\ \" \[ \]
/// \- \xHH \uHHHH \UHHHHHHHH</c>. Errors name the line and column.
/// </summary>
internal sealed class GbnfParser
{
    /// <summary>Most repetitions a bound may ask for: each one becomes grammar rules.</summary>
    public const int MaxRepetition = 1000;

    private readonly string _text;
    private int _position;

    private GbnfParser(string text) => _text = text;

    public static Dictionary<string, GbnfNode.Alternatives> Parse(string text, out List<string> order)
    {
        var parser = new GbnfParser(text);
        var rules = new Dictionary<string, GbnfNode.Alternatives>(StringComparer.Ordinal);
        order = [];
        parser.SkipSpace();
        while (!parser.AtEnd)
        {
            int start = parser._position;
            string name = parser.ReadName();
            parser.SkipSpace();
            if (!parser.TryRead("::="))
                throw parser.Error("expected '::=' after the rule name");
            if (rules.ContainsKey(name))
                throw parser.Error($"rule '{name}' is defined twice", start);
            parser.SkipSpace();
            rules[name] = parser.ReadAlternatives(topLevel: true);
            order.Add(name);
            parser.SkipSpace();
        }
        if (rules.Count == 0)
            throw new GrammarException("the grammar has no rules");
        return rules;
    }

    private bool AtEnd => _position >= _text.Length;

    private char Peek => _position < _text.Length ? _text[_position] : '\0';

    private GbnfNode.Alternatives ReadAlternatives(bool topLevel)
    {
        var alternatives = new List<List<GbnfNode>> { ReadSequence(topLevel) };
        while (TryRead("|"))
        {
            SkipSpace();
            alternatives.Add(ReadSequence(topLevel));
        }
        return new GbnfNode.Alternatives(alternatives);
    }

    /// <summary>Items up to '|', ')' or (at the top level) the next rule's "name ::=".</summary>
    private List<GbnfNode> ReadSequence(bool topLevel)
    {
        var items = new List<GbnfNode>();
        while (true)
        {
            SkipSpace();
            if (AtEnd || Peek is '|' or ')')
                return items;
            if (topLevel && StartsRule())
                return items;
            var item = ReadItem();
            items.Add(ReadRepetition(item));
        }
    }

    private GbnfNode ReadItem()
    {
        int start = _position;
        char c = Peek;
        if (c == '"')
            return ReadLiteral();
        if (c == '[')
            return ReadClass();
        if (c == '.')
        {
            _position++;
            return new GbnfNode.Class([(0, Utf8Ranges.MaxScalar)], Negated: false);
        }
        if (c == '(')
        {
            _position++;
            SkipSpace();
            var group = ReadAlternatives(topLevel: false);
            SkipSpace();
            if (!TryRead(")"))
                throw Error("expected ')'", start);
            return group;
        }
        if (IsNameChar(c))
            return new GbnfNode.Reference(ReadName(), Line(start));
        throw Error($"unexpected '{c}'");
    }

    private GbnfNode ReadRepetition(GbnfNode item)
    {
        while (true)
        {
            int start = _position;
            switch (Peek)
            {
                case '*': _position++; item = new GbnfNode.Repeat(item, 0, -1); break;
                case '+': _position++; item = new GbnfNode.Repeat(item, 1, -1); break;
                case '?': _position++; item = new GbnfNode.Repeat(item, 0, 1); break;
                case '{':
                    _position++;
                    SkipSpace();
                    int min = ReadCount();
                    int max = min;
                    SkipSpace();
                    if (TryRead(","))
                    {
                        SkipSpace();
                        max = char.IsAsciiDigit(Peek) ? ReadCount() : -1;
                        SkipSpace();
                    }
                    if (!TryRead("}"))
                        throw Error("expected '}' to close the repetition", start);
                    if (max >= 0 && max < min)
                        throw Error($"the repetition {{{min},{max}}} has its maximum below its minimum", start);
                    item = new GbnfNode.Repeat(item, min, max);
                    break;
                default:
                    return item;
            }
        }
    }

    private int ReadCount()
    {
        int start = _position;
        while (char.IsAsciiDigit(Peek))
            _position++;
        if (start == _position)
            throw Error("expected a number");
        if (!int.TryParse(_text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > MaxRepetition)
            throw Error($"a repetition count must be at most {MaxRepetition}", start);
        return count;
    }

    private GbnfNode ReadLiteral()
    {
        int start = _position;
        _position++; // opening quote
        var text = new StringBuilder();
        while (true)
        {
            if (AtEnd || Peek == '\n')
                throw Error("the string literal is not closed", start);
            char c = Peek;
            if (c == '"')
            {
                _position++;
                return new GbnfNode.Literal(Encoding.UTF8.GetBytes(text.ToString()));
            }
            text.Append(char.ConvertFromUtf32(ReadChar()));
        }
    }

    private GbnfNode ReadClass()
    {
        int start = _position;
        _position++; // '['
        bool negated = TryRead("^");
        var ranges = new List<(int, int)>();
        while (true)
        {
            if (AtEnd || Peek == '\n')
                throw Error("the character class is not closed", start);
            if (Peek == ']')
            {
                _position++;
                if (ranges.Count == 0 && !negated)
                    throw Error("the character class is empty", start);
                return new GbnfNode.Class(ranges, negated);
            }
            int low = ReadChar();
            int high = low;
            if (Peek == '-' && _position + 1 < _text.Length && _text[_position + 1] != ']')
            {
                _position++;
                high = ReadChar();
                if (high < low)
                    throw Error("the character range runs backwards", start);
            }
            ranges.Add((low, high));
        }
    }

    /// <summary>One character of a literal or class, with its escape resolved, as a Unicode scalar.</summary>
    private int ReadChar()
    {
        int start = _position;
        char c = _text[_position++];
        if (c != '\\')
        {
            if (char.IsHighSurrogate(c) && _position < _text.Length && char.IsLowSurrogate(_text[_position]))
                return char.ConvertToUtf32(c, _text[_position++]);
            return c;
        }
        if (AtEnd)
            throw Error("the escape is cut off", start);
        char e = _text[_position++];
        return e switch
        {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '\\' or '"' or '[' or ']' or '-' or '^' or '/' => e,
            'x' => ReadHex(2, start),
            'u' => ReadHex(4, start),
            'U' => ReadHex(8, start),
            _ => throw Error($"unknown escape '\\{e}'", start),
        };
    }

    private int ReadHex(int digits, int start)
    {
        if (_position + digits > _text.Length
            || !int.TryParse(_text.AsSpan(_position, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
            throw Error($"expected {digits} hex digits in the escape", start);
        _position += digits;
        if (value > Utf8Ranges.MaxScalar || value is >= 0xD800 and <= 0xDFFF)
            throw Error("the escape is not a Unicode character", start);
        return value;
    }

    private string ReadName()
    {
        int start = _position;
        while (IsNameChar(Peek))
            _position++;
        if (start == _position)
            throw Error(AtEnd ? "expected a rule name" : $"expected a rule name, not '{Peek}'");
        return _text[start.._position];
    }

    private bool StartsRule()
    {
        int saved = _position;
        try
        {
            if (!IsNameChar(Peek))
                return false;
            while (IsNameChar(Peek))
                _position++;
            SkipSpace();
            return TryRead("::=");
        }
        finally
        {
            _position = saved;
        }
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private bool TryRead(string token)
    {
        if (string.CompareOrdinal(_text, _position, token, 0, token.Length) != 0)
            return false;
        _position += token.Length;
        return true;
    }

    private void SkipSpace()
    {
        while (!AtEnd)
        {
            if (char.IsWhiteSpace(Peek))
                _position++;
            else if (Peek == '#')
            {
                while (!AtEnd && Peek != '\n')
                    _position++;
            }
            else
                return;
        }
    }

    private int Line(int position) => 1 + _text.AsSpan(0, Math.Min(position, _text.Length)).Count('\n');

    private GrammarException Error(string message, int? at = null)
    {
        int position = Math.Min(at ?? _position, _text.Length);
        int lineStart = _text.LastIndexOf('\n', Math.Max(0, position - 1)) + 1;
        if (position == 0)
            lineStart = 0;
        return new GrammarException($"line {Line(position)}, column {position - lineStart + 1}: {message}");
    }
}

/// <summary>The parsed (not yet compiled) shape of a GBNF rule body.</summary>
internal abstract record GbnfNode
{
    public sealed record Literal(byte[] Bytes) : GbnfNode;

    /// <summary>Unicode scalar ranges, inclusive.</summary>
    public sealed record Class(List<(int Low, int High)> Ranges, bool Negated) : GbnfNode;

    public sealed record Reference(string Name, int Line) : GbnfNode;

    public sealed record Alternatives(List<List<GbnfNode>> Sequences) : GbnfNode;

    /// <summary>Max -1: unbounded.</summary>
    public sealed record Repeat(GbnfNode Item, int Min, int Max) : GbnfNode;
}
