namespace Tessera.Runtime.Tools;

/// <summary>One call the model made: an id for the tool's answer to refer to, the function, and its arguments as JSON text.</summary>
public sealed record ToolCall(string Id, string Name, string Arguments);

/// <summary>A model's answer split into its text and the calls found in it.</summary>
public sealed record ToolCallParse(string Content, IReadOnlyList<ToolCall> Calls)
{
    /// <summary>The calls to return: all of them, or only the first when parallel calls are not allowed.</summary>
    public IReadOnlyList<ToolCall> Allowed(bool parallel) => parallel || Calls.Count <= 1 ? Calls : [Calls[0]];
}
