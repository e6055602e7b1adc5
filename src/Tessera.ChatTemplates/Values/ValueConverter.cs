using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.ChatTemplates.Values;

/// <summary>
/// Turns caller data (JSON elements and nodes, primitives, dictionaries, sequences) into template values.
/// Nothing is reflected over: an unsupported type is an error naming it.
/// </summary>
internal static class ValueConverter
{
    public static object? FromObject(object? value, int depth = 0)
    {
        TemplateLimits.CheckDepth(depth, "Input");
        return value switch
        {
            null => null,
            string or bool or long or double => value,
            int or short or sbyte or byte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            ulong u => u <= long.MaxValue ? (object)(long)u : (double)u,
            float f => (double)f,
            decimal m => (double)m,
            char c => c.ToString(),
            JsonElement element => FromJson(element, depth),
            JsonNode node => FromJson(node, depth),
            ChatMessage message => message.ToValue(),
            ChatToolCall call => call.ToValue(),
            IDictionary dict => FromDictionary(dict, depth),
            IEnumerable items => FromSequence(items, depth),
            _ => throw new TemplateException($"Values of type {value.GetType().Name} cannot be passed to a template"),
        };
    }

    private static TemplateDict FromDictionary(IDictionary dict, int depth)
    {
        var result = new TemplateDict();
        foreach (DictionaryEntry entry in dict) result.Set(FromObject(entry.Key, depth + 1), FromObject(entry.Value, depth + 1));
        return result;
    }

    private static object FromSequence(IEnumerable items, int depth)
    {
        // IReadOnlyDictionary<string, T> without IDictionary arrives here as key/value pairs.
        var list = new List<object?>();
        TemplateDict? dict = null;
        foreach (var item in items)
        {
            if (item is KeyValuePair<string, object?> pair)
            {
                dict ??= new TemplateDict();
                dict.Set(pair.Key, FromObject(pair.Value, depth + 1));
            }
            else list.Add(FromObject(item, depth + 1));
        }
        return dict is not null && list.Count == 0 ? dict : list;
    }

    public static object? FromJson(JsonElement element, int depth = 0)
    {
        TemplateLimits.CheckDepth(depth, "Input");
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var dict = new TemplateDict();
                foreach (var property in element.EnumerateObject()) dict.Set(property.Name, FromJson(property.Value, depth + 1));
                return dict;
            case JsonValueKind.Array:
                return element.EnumerateArray().Select(item => FromJson(item, depth + 1)).ToList();
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var integer) && IsIntegerLiteral(element.GetRawText())) return integer;
                return element.TryGetDouble(out var number) ? number : double.Parse(element.GetRawText(), CultureInfo.InvariantCulture);
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    public static object? FromJson(JsonNode? node, int depth = 0)
    {
        TemplateLimits.CheckDepth(depth, "Input");
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var dict = new TemplateDict();
                foreach (var (name, child) in obj) dict.Set(name, FromJson(child, depth + 1));
                return dict;
            case JsonArray array:
                return array.Select(item => FromJson(item, depth + 1)).ToList();
            default:
                using (var document = JsonDocument.Parse(node.ToJsonString()))
                    return FromJson(document.RootElement.Clone(), depth);
        }
    }

    /// <summary>JSON "1.0" is a float in Python; "1" is an int.</summary>
    private static bool IsIntegerLiteral(string raw) => raw.AsSpan().IndexOfAny(".eE") < 0;
}
