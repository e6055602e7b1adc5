namespace Tessera.Runtime.Tools;

/// <summary>
/// Whether and which tools the model may call, as OpenAI's <c>tool_choice</c>: <see cref="Auto"/> (the model decides;
/// its output is parsed for calls), <see cref="None"/> (plain text, nothing parsed), <see cref="Required"/> (at least
/// one call, held to the tools' schemas by a grammar) or one named function (a call to it, held the same way).
/// </summary>
public sealed record ToolChoice
{
    private ToolChoice(ToolChoiceMode mode, string? functionName)
    {
        Mode = mode;
        FunctionName = functionName;
    }

    public ToolChoiceMode Mode { get; }

    /// <summary>The function that must be called when <see cref="Mode"/> is <see cref="ToolChoiceMode.Function"/>.</summary>
    public string? FunctionName { get; }

    public static ToolChoice Auto { get; } = new(ToolChoiceMode.Auto, null);
    public static ToolChoice None { get; } = new(ToolChoiceMode.None, null);
    public static ToolChoice Required { get; } = new(ToolChoiceMode.Required, null);

    public static ToolChoice Function(string name) => new(ToolChoiceMode.Function, name);

    /// <summary>The output must be a call: a grammar holds it.</summary>
    public bool Forces => Mode is ToolChoiceMode.Required or ToolChoiceMode.Function;
}

public enum ToolChoiceMode
{
    Auto,
    None,
    Required,
    Function,
}
