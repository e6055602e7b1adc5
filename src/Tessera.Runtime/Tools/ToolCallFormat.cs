using System.Security.Cryptography;
using System.Text.Json;

namespace Tessera.Runtime.Tools;

/// <summary>
/// How a model family writes function calls in its output, chosen from its chat template: how to parse them back into
/// calls, how much of a streamed answer may be sent as text before a call could begin, and the grammar that forces
/// calls (tool_choice required or a named function). A text that looks like a call but does not parse stays text.
/// </summary>
public abstract class ToolCallFormat
{
    /// <summary>Qwen 2.5/3, Hermes and most templates: <c>&lt;tool_call&gt;{"name", "arguments"}&lt;/tool_call&gt;</c>.</summary>
    public static ToolCallFormat Hermes { get; } = new HermesToolCallFormat();

    /// <summary>Llama 3.1/3.2: a bare <c>{"name", "parameters"}</c> answer, optionally after <c>&lt;|python_tag|&gt;</c>.</summary>
    public static ToolCallFormat Llama3 { get; } = new Llama3ToolCallFormat();

    /// <summary>Mistral: <c>[TOOL_CALLS][{"name", "arguments"}, ...]</c>.</summary>
    public static ToolCallFormat Mistral { get; } = new MistralToolCallFormat();

    public abstract string Name { get; }

    /// <summary>The key the arguments object goes under in a call.</summary>
    public abstract string ArgumentsKey { get; }

    /// <summary>
    /// The format a chat template asks for, by the markers it writes. Templates that name none of them get Hermes's
    /// tags, the most widely trained format.
    /// </summary>
    public static ToolCallFormat ForTemplate(string? templateSource)
    {
        if (templateSource is null)
            return Hermes;
        if (templateSource.Contains("[TOOL_CALLS]", StringComparison.Ordinal))
            return Mistral;
        if (templateSource.Contains("<tool_call>", StringComparison.Ordinal))
            return Hermes;
        if (templateSource.Contains("<|python_tag|>", StringComparison.Ordinal) || templateSource.Contains("\"parameters\": ", StringComparison.Ordinal))
            return Llama3;
        return Hermes;
    }

    /// <summary>Splits a whole answer into text and calls; an answer whose calls do not all parse is all text.</summary>
    public abstract ToolCallParse Parse(string text);

    /// <summary>
    /// Where, in a partial answer, text stops being safe to stream: the start of something that is or may grow into a
    /// call. <c>text.Length</c> when all of it is plain text.
    /// </summary>
    public abstract int HoldFrom(string text);

    /// <summary>The GBNF root around <paramref name="callRule"/> (one call object): one call, or several when parallel.</summary>
    public abstract string CallsGbnf(string callRule, bool parallel);

    /// <summary>A new call id ("call_" and 24 random letters and digits, as OpenAI's ids look).</summary>
    public virtual string NewCallId() => "call_" + RandomAlphanumeric(24);

    protected static string RandomAlphanumeric(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);

    /// <summary>The longest end of <paramref name="text"/> that is the start of <paramref name="marker"/>: where a marker may be beginning.</summary>
    protected static int PartialMarkerStart(string text, string marker)
    {
        for (int length = Math.Min(marker.Length - 1, text.Length); length > 0; length--)
        {
            if (text.AsSpan(text.Length - length).SequenceEqual(marker.AsSpan(0, length)))
                return text.Length - length;
        }
        return text.Length;
    }

    /// <summary>
    /// A call object <c>{"name": "...", KEY: {...}}</c> (also under "arguments" or "parameters" whatever the format, as
    /// models mix them up; a string holding a JSON object counts too). False when it is not one.
    /// </summary>
    protected bool TryReadCall(JsonElement call, out ToolCall? result)
    {
        result = null;
        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || string.IsNullOrEmpty(name.GetString()))
            return false;
        if (!call.TryGetProperty(ArgumentsKey, out var arguments) && !call.TryGetProperty("arguments", out arguments)
            && !call.TryGetProperty("parameters", out arguments))
            return false;
        string? json = arguments.ValueKind switch
        {
            JsonValueKind.Object => arguments.GetRawText(),
            JsonValueKind.String => ObjectText(arguments.GetString()!),
            _ => null,
        };
        if (json is null)
            return false;
        result = new ToolCall(NewCallId(), name.GetString()!, Compact(json));
        return true;
    }

    /// <summary>JSON text re-written without insignificant whitespace, as OpenAI sends arguments.</summary>
    private static string Compact(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(document.RootElement);
    }

    private static string? ObjectText(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The JSON values written one after another in <paramref name="text"/> (separated by whitespace or
    /// <paramref name="separator"/>), or null when any part is not JSON.</summary>
    protected static List<JsonElement>? ReadValues(string text, char? separator)
    {
        var values = new List<JsonElement>();
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        int offset = 0;
        while (true)
        {
            while (offset < bytes.Length && (char.IsWhiteSpace((char)bytes[offset]) || (separator is { } s && bytes[offset] == s)))
                offset++;
            if (offset == bytes.Length)
                return values.Count == 0 ? null : values;
            try
            {
                var reader = new Utf8JsonReader(bytes.AsSpan(offset), new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 64 });
                using var document = JsonDocument.ParseValue(ref reader);
                values.Add(document.RootElement.Clone());
                offset += (int)reader.BytesConsumed;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    protected static ToolCallParse PlainText(string text) => new(text, []);
}
