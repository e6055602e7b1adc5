using Microsoft.AspNetCore.Http;
using Tessera.Server.Api;
using Tessera.Server.Hosting;

namespace Tessera.Server.Endpoints;

/// <summary>POST /v1/chat/completions and POST /v1/completions.</summary>
internal static class CompletionEndpoints
{
    public static async Task ChatAsync(HttpContext http, ServerState state)
    {
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        using var lease = await state.AcquireAsync(fields.String("model"), http.RequestAborted);
        var served = lease.Model;
        var settings = SettingsParser.Parse(fields, served.VocabularySize, chat: true);
        var messages = ChatRequestParser.ReadMessages(fields);
        int[] prompt = PromptTokens.FromChat(served, messages, ChatRequestParser.ReadTools(fields));
        var format = new ChatFormat(NewId("chatcmpl-"), Now(), served.Id, served.Tokenizer);
        await GenerationPipeline.RunAsync(http, state, served, [prompt], settings, format, "messages");
    }

    public static async Task CompletionAsync(HttpContext http, ServerState state)
    {
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        using var lease = await state.AcquireAsync(fields.String("model"), http.RequestAborted);
        var served = lease.Model;
        var settings = SettingsParser.Parse(fields, served.VocabularySize, chat: false);
        var prompts = PromptTokens.FromCompletion(fields, served);
        var format = new CompletionFormat(NewId("cmpl-"), Now(), served.Id, served.Tokenizer);
        await GenerationPipeline.RunAsync(http, state, served, prompts, settings, format, "prompt");
    }

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N");

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
