using Microsoft.AspNetCore.Http;
using Tessera.Server.Api;
using Tessera.Server.Hosting;

namespace Tessera.Server.Endpoints;

/// <summary>POST /v1/chat/completions and POST /v1/completions.</summary>
internal static class CompletionEndpoints
{
    public static async Task ChatAsync(HttpContext http, ServerState state)
    {
        var served = state.RequireModel();
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        var settings = ReadSettings(fields, served, chat: true);
        var messages = ChatRequestParser.ReadMessages(fields);
        int[] prompt = PromptTokens.FromChat(served, messages, ChatRequestParser.ReadTools(fields));
        var format = new ChatFormat(NewId("chatcmpl-"), Now(), served.Id, served.Tokenizer);
        await GenerationPipeline.RunAsync(http, state, served, [prompt], settings, format, "messages");
    }

    public static async Task CompletionAsync(HttpContext http, ServerState state)
    {
        var served = state.RequireModel();
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        var settings = ReadSettings(fields, served, chat: false);
        var prompts = PromptTokens.FromCompletion(fields, served);
        var format = new CompletionFormat(NewId("cmpl-"), Now(), served.Id, served.Tokenizer);
        await GenerationPipeline.RunAsync(http, state, served, prompts, settings, format, "prompt");
    }

    private static GenerationSettings ReadSettings(JsonFields fields, ServedModel served, bool chat)
    {
        var settings = SettingsParser.Parse(fields, served.VocabularySize, chat);
        if (settings.Model is { } model && model != served.Id)
            throw ApiException.ModelNotFound();
        return settings;
    }

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N");

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
