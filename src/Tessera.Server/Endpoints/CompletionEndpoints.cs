using Microsoft.AspNetCore.Http;
using Tessera.Runtime.Tools;
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
        using var lease = await state.AcquireAsync(state.Shedding.Route(fields.String("model")), http.RequestAborted);
        var served = lease.Model;
        var settings = SettingsParser.Parse(fields, served.VocabularySize, chat: true);
        var messages = ChatRequestParser.ReadMessages(fields);
        var tools = ToolRequest.Read(fields);
        var callFormat = tools.ParsesCalls ? ToolCallFormat.ForTemplate(served.Template.Source) : null;
        if (tools.Choice.Forces)
        {
            if (settings.Grammar is not null)
                throw ApiException.BadRequest("tool_choice", "tool_choice \"required\" or a named function cannot be combined with response_format, grammar or json_schema.");
            settings = settings with
            {
                Grammar = ResponseFormatParser.Compile("tools", () => ToolCallGrammar.For(callFormat!, tools.Definitions, tools.Choice, tools.Parallel)),
            };
        }
        settings = Constrained(settings, served);
        int[] prompt = PromptTokens.FromChat(served, messages, tools.Raw);
        var format = new ChatFormat(NewId("chatcmpl-"), Now(), served.Id, served.Tokenizer, callFormat, tools.Parallel);
        await GenerationPipeline.RunAsync(http, state, served, [prompt], settings, format, "messages");
    }

    public static async Task CompletionAsync(HttpContext http, ServerState state)
    {
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        using var lease = await state.AcquireAsync(state.Shedding.Route(fields.String("model")), http.RequestAborted);
        var served = lease.Model;
        var settings = Constrained(SettingsParser.Parse(fields, served.VocabularySize, chat: false), served);
        var prompts = PromptTokens.FromCompletion(fields, served);
        var format = new CompletionFormat(NewId("cmpl-"), Now(), served.Id, served.Tokenizer);
        await GenerationPipeline.RunAsync(http, state, served, prompts, settings, format, "prompt");
    }

    /// <summary>Builds the vocabulary's token trie here, on the request's thread, so the scheduler never waits for it.</summary>
    private static GenerationSettings Constrained(GenerationSettings settings, ServedModel served)
    {
        if (settings.Grammar is not null)
            Runtime.Grammars.TokenTrie.For(served.Tokenizer);
        return settings;
    }

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N");

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
