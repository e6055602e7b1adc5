using System.Text;

namespace Tessera.Runtime.Tools;

/// <summary>Calls as <c>&lt;tool_call&gt;\n{"name": ..., "arguments": {...}}\n&lt;/tool_call&gt;</c>, any number, text around them allowed.</summary>
internal sealed class HermesToolCallFormat : ToolCallFormat
{
    private const string Open = "<tool_call>";
    private const string Close = "</tool_call>";

    public override string Name => "hermes";

    public override string ArgumentsKey => "arguments";

    public override ToolCallParse Parse(string text)
    {
        var content = new StringBuilder();
        var calls = new List<ToolCall>();
        int position = 0;
        int start;
        while ((start = text.IndexOf(Open, position, StringComparison.Ordinal)) >= 0)
        {
            content.Append(text, position, start - position);
            int end = text.IndexOf(Close, start, StringComparison.Ordinal);
            if (end < 0)
                return PlainText(text);
            var values = ReadValues(text[(start + Open.Length)..end], separator: null);
            if (values is not [var value] || !TryReadCall(value, out var call))
                return PlainText(text);
            calls.Add(call!);
            position = end + Close.Length;
        }
        if (calls.Count == 0)
            return PlainText(text);
        content.Append(text, position, text.Length - position);
        return new ToolCallParse(content.ToString().Trim(), calls);
    }

    public override int HoldFrom(string text)
    {
        int open = text.IndexOf(Open, StringComparison.Ordinal);
        return open >= 0 ? open : PartialMarkerStart(text, Open);
    }

    public override string CallsGbnf(string callRule, bool parallel)
    {
        string one = $"\"<tool_call>\\n\" {callRule} \"\\n</tool_call>\"";
        return parallel ? $"root ::= {one} ( \"\\n\" {one} )*\n" : $"root ::= {one}\n";
    }
}
