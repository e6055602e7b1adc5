namespace Tessera.Runtime.Tools;

/// <summary>
/// Llama 3.1/3.2 JSON calls: the whole answer is <c>{"name": ..., "parameters": {...}}</c> (several separated by
/// ";"), after <c>&lt;|python_tag|&gt;</c> when the model writes it. An answer that starts otherwise is text.
/// </summary>
internal sealed class Llama3ToolCallFormat : ToolCallFormat
{
    private const string PythonTag = "<|python_tag|>";

    public override string Name => "llama3-json";

    public override string ArgumentsKey => "parameters";

    public override ToolCallParse Parse(string text)
    {
        string body = text.TrimStart();
        if (body.StartsWith(PythonTag, StringComparison.Ordinal))
            body = body[PythonTag.Length..];
        if (!body.TrimStart().StartsWith('{'))
            return PlainText(text);
        var values = ReadValues(body, separator: ';');
        if (values is null)
            return PlainText(text);
        var calls = new List<ToolCall>();
        foreach (var value in values)
        {
            if (!TryReadCall(value, out var call))
                return PlainText(text);
            calls.Add(call!);
        }
        return new ToolCallParse("", calls);
    }

    /// <summary>Only the start decides: an answer opening with "{" or the python tag may be a call, so all of it waits.</summary>
    public override int HoldFrom(string text)
    {
        string start = text.TrimStart();
        bool mayBeCall = start.Length == 0 || start[0] == '{' || start.StartsWith(PythonTag, StringComparison.Ordinal)
            || PythonTag.StartsWith(start, StringComparison.Ordinal);
        return mayBeCall ? 0 : text.Length;
    }

    public override string CallsGbnf(string callRule, bool parallel) =>
        parallel ? $"root ::= {callRule} ( \"; \" {callRule} )*\n" : $"root ::= {callRule}\n";
}
