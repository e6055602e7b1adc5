using System.Text.Json;
using Tessera.Testing;

namespace Tessera.ChatTemplates.Tests;

/// <summary>The shared chat-template fixtures: templates, conversations and the texts Python's Jinja renders.</summary>
internal static class Fixtures
{
    private static readonly Lazy<JsonElement> ManifestJson = new(() => Load("manifest.json"));
    private static readonly Lazy<JsonElement> ConversationsJson = new(() => Load("conversations.json"));

    public static string Root => SharedData.ChatTemplates;

    private static JsonElement Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, name)));
        return doc.RootElement.Clone();
    }

    /// <summary>Template names whose source file is present.</summary>
    public static IEnumerable<string> TemplateNames() =>
        ManifestJson.Value.GetProperty("templates").EnumerateObject()
            .Where(t => File.Exists(Path.Combine(Root, t.Value.GetProperty("file").GetString()!)))
            .Select(t => t.Name);

    public static string TemplateSource(string template) =>
        File.ReadAllText(Path.Combine(Root, Manifest(template).GetProperty("file").GetString()!));

    public static JsonElement Manifest(string template) => ManifestJson.Value.GetProperty("templates").GetProperty(template);

    public static IEnumerable<JsonElement> Conversations() => ConversationsJson.Value.EnumerateArray();

    public static JsonElement Conversation(string id) => Conversations().Single(c => c.GetProperty("id").GetString() == id);

    public static string ExpectedPath(string template, string conversation, bool error) =>
        Path.Combine(Root, "expected", template, conversation + (error ? ".error.txt" : ".txt"));

    /// <summary>Every (template, conversation) pair with an expected output or error.</summary>
    public static IEnumerable<(string Template, string Conversation)> Cases() =>
        from template in TemplateNames()
        from conversation in Conversations()
        let id = conversation.GetProperty("id").GetString()!
        where File.Exists(ExpectedPath(template, id, false)) || File.Exists(ExpectedPath(template, id, true))
        select (template, id);

    /// <summary>The variables the fixture renderer passed: messages, flags, tokens, tools (05 only), extra variables.</summary>
    public static Dictionary<string, object?> Variables(string template, string conversationId)
    {
        var manifest = Manifest(template);
        var conversation = Conversation(conversationId);
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = conversation.GetProperty("messages"),
            ["add_generation_prompt"] = conversation.GetProperty("add_generation_prompt").GetBoolean(),
            ["bos_token"] = manifest.GetProperty("bos_token").GetString(),
            ["eos_token"] = manifest.GetProperty("eos_token").GetString(),
        };
        if (conversation.TryGetProperty("tools", out var tools)) variables["tools"] = tools;
        foreach (var extra in manifest.GetProperty("extra_vars").EnumerateObject()) variables[extra.Name] = extra.Value;
        return variables;
    }

    public static readonly TemplateOptions Options = new() { Clock = FixedClock.FixtureDate };
}
