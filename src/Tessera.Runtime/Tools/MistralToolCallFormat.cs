namespace Tessera.Runtime.Tools;

/// <summary>
/// Mistral calls: <c>[TOOL_CALLS]</c> then a JSON array of <c>{"name", "arguments"}</c>. The marker is a control
/// token that decoded text does not show, so an answer that is such an array counts as calls without it too.
/// </summary>
internal sealed class MistralToolCallFormat : ToolCallFormat
{
    private const string Marker = "[TOOL_CALLS]";

    public override string Name => "mistral";

    public override string ArgumentsKey => "arguments";

    public override ToolCallParse Parse(string text)
    {
        int marker = text.IndexOf(Marker, StringComparison.Ordinal);
        string content = marker >= 0 ? text[..marker].Trim() : "";
        string body = marker >= 0 ? text[(marker + Marker.Length)..] : text;
        if (!body.TrimStart().StartsWith('['))
            return PlainText(text);
        var values = ReadValues(body, separator: null);
        if (values is not [{ ValueKind: System.Text.Json.JsonValueKind.Array } array] || array.GetArrayLength() == 0)
            return PlainText(text);
        var calls = new List<ToolCall>();
        foreach (var element in array.EnumerateArray())
        {
            if (!TryReadCall(element, out var call))
                return PlainText(text);
            calls.Add(call!);
        }
        return new ToolCallParse(content, calls);
    }

    public override int HoldFrom(string text)
    {
        int marker = text.IndexOf(Marker, StringComparison.Ordinal);
        if (marker >= 0)
            return marker;
        string start = text.TrimStart();
        if (start.Length == 0 || start[0] == '[')
            return 0;
        return PartialMarkerStart(text, Marker);
    }

    public override string CallsGbnf(string callRule, bool parallel) =>
        parallel ? $"root ::= \"[\" {callRule} ( \", \" {callRule} )* \"]\"\n" : $"root ::= \"[\" {callRule} \"]\"\n";

    /// <summary>Mistral's templates take call ids of exactly nine letters and digits.</summary>
    public override string NewCallId() => RandomAlphanumeric(9);
}
