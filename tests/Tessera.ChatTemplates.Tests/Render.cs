namespace Tessera.ChatTemplates.Tests;

/// <summary>Short helpers: parse and render a template with a few variables.</summary>
internal static class Render
{
    public static string Text(string source, params (string Name, object? Value)[] variables) =>
        ChatTemplate.Parse(source).Render(variables.ToDictionary(v => v.Name, v => v.Value));

    public static string WithOptions(string source, TemplateOptions options, params (string Name, object? Value)[] variables) =>
        ChatTemplate.Parse(source).Render(variables.ToDictionary(v => v.Name, v => v.Value), options);

    public static TemplateException Error(string source, params (string Name, object? Value)[] variables) =>
        Assert.Throws<TemplateException>(() => Text(source, variables));

    /// <summary>A small data set: a list of ints, a dict in insertion order, two chat messages.</summary>
    public static (string, object?)[] Data =>
    [
        ("xs", new List<object?> { 1, 2, 3 }),
        ("d", new Dictionary<string, object?> { ["b"] = 2, ["a"] = 1, ["items"] = 5 }),
        ("msgs", new List<object?>
        {
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" },
            new Dictionary<string, object?> { ["role"] = "assistant", ["content"] = "yo" },
        }),
        ("s", "Héllo World 🌍"),
        ("n", null),
        ("t", true),
        ("e", ""),
    ];
}
