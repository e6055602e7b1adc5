using System.Globalization;
using System.Text;
using Tessera.Gguf;

namespace Tessera.Cli.Info;

/// <summary>Short, single-line renderings of metadata values for tables (long strings and arrays are elided).</summary>
public static class MetadataFormatter
{
    private const int MaxStringChars = 60;  // keeps a chat template or license text to one table row
    private const int MaxArrayItems = 5;

    public static string TypeName(GgufMetadataEntry entry) =>
        entry.ElementType is { } element ? $"array<{element.ToString().ToLowerInvariant()}>" : entry.Type.ToString().ToLowerInvariant();

    public static string Preview(GgufMetadataEntry entry)
    {
        if (entry.Value is Array array and not byte[] || entry.ElementType is not null)
        {
            var items = (Array)entry.Value;
            var shown = items.Cast<object?>().Take(MaxArrayItems).Select(Scalar);
            string more = items.Length > MaxArrayItems ? ", ..." : "";
            return $"[{items.Length}] [{string.Join(", ", shown)}{more}]";
        }
        return Scalar(entry.Value);
    }

    private static string Scalar(object? value) => value switch
    {
        string s => Quote(s),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        null => "null",
        _ => value.ToString() ?? "",
    };

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s.Length > MaxStringChars ? s[..MaxStringChars] : s)
        {
            sb.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '"' => "\\\"", _ => c.ToString() });
        }
        sb.Append(s.Length > MaxStringChars ? $"...\" ({s.Length} chars)" : "\"");
        return sb.ToString();
    }
}
