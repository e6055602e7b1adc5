using System.Globalization;
using System.Text;

namespace Tessera.ChatTemplates.Values;

/// <summary>
/// The <c>tojson</c> filter as Hugging Face defines it: Python's json.dumps with non-ASCII kept by default,
/// ", " and ": " separators (or "," and ": " with an indent), keys in insertion order unless sorted.
/// </summary>
internal sealed class JsonFormat
{
    private readonly string? _indent;
    private readonly bool _ensureAscii;
    private readonly bool _sortKeys;
    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly StringBuilder _sb = new();

    public JsonFormat(string? indent, bool ensureAscii, bool sortKeys, string? itemSeparator = null, string? keySeparator = null)
    {
        _indent = indent;
        _ensureAscii = ensureAscii;
        _sortKeys = sortKeys;
        _itemSeparator = itemSeparator ?? (indent is null ? ", " : ",");
        _keySeparator = keySeparator ?? ": ";
    }

    /// <summary>Values written by the last <see cref="Serialize"/>, a measure of its work.</summary>
    public long ValuesWritten { get; private set; }

    public string Serialize(object? value)
    {
        _sb.Clear();
        ValuesWritten = 0;
        Write(value, 0);
        return _sb.ToString();
    }

    private void Write(object? value, int depth)
    {
        TemplateLimits.CheckDepth(depth, "Value");
        ValuesWritten++;
        switch (value)
        {
            case null: _sb.Append("null"); break;
            case bool b: _sb.Append(b ? "true" : "false"); break;
            case long l: _sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: _sb.Append(FormatNumber(d)); break;
            case string s: WriteString(s); break;
            case List<object?> list: WriteArray(list, depth); break;
            case object?[] tuple: WriteArray(tuple, depth); break;
            case TemplateDict dict: WriteObject(dict, depth); break;
            default: throw new TemplateException($"Object of type {PythonTypes.NameOf(value)} is not JSON serializable");
        }
    }

    private static string FormatNumber(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : PythonFormat.FormatFloat(d);

    private void NewLine(int depth)
    {
        if (_indent is null) return;
        _sb.Append('\n');
        for (var i = 0; i < depth; i++) _sb.Append(_indent);
    }

    private void WriteArray(IReadOnlyList<object?> items, int depth)
    {
        if (items.Count == 0)
        {
            _sb.Append("[]");
            return;
        }
        _sb.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) _sb.Append(_itemSeparator);
            NewLine(depth + 1);
            Write(items[i], depth + 1);
        }
        NewLine(depth);
        _sb.Append(']');
    }

    private void WriteObject(TemplateDict dict, int depth)
    {
        if (dict.Count == 0)
        {
            _sb.Append("{}");
            return;
        }
        IEnumerable<KeyValuePair<object, object?>> items = dict.Items;
        if (_sortKeys)
        {
            var sorted = items.ToList();
            sorted.Sort((a, b) => PythonValues.Compare(a.Key, b.Key));
            items = sorted;
        }
        _sb.Append('{');
        var first = true;
        foreach (var (key, item) in items)
        {
            if (!first) _sb.Append(_itemSeparator);
            first = false;
            NewLine(depth + 1);
            WriteString(KeyText(key));
            _sb.Append(_keySeparator);
            Write(item, depth + 1);
        }
        NewLine(depth);
        _sb.Append('}');
    }

    private static string KeyText(object key) => key switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatNumber(d),
        _ => throw new TemplateException($"keys must be str, int, float, bool or None, not {PythonTypes.NameOf(key)}"),
    };

    private void WriteString(string s)
    {
        _sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': _sb.Append("\\\""); break;
                case '\\': _sb.Append("\\\\"); break;
                case '\n': _sb.Append("\\n"); break;
                case '\r': _sb.Append("\\r"); break;
                case '\t': _sb.Append("\\t"); break;
                case '\b': _sb.Append("\\b"); break;
                case '\f': _sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (_ensureAscii && c > 0x7E)) _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else _sb.Append(c);
                    break;
            }
        }
        _sb.Append('"');
    }
}
