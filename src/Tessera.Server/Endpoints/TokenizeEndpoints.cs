using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tessera.Server.Api;
using Tessera.Server.Hosting;

namespace Tessera.Server.Endpoints;

/// <summary>
/// POST /tokenize <c>{"content": string, "add_special"?: bool, "parse_special"?: bool}</c> -> <c>{"tokens": [...]}</c>;
/// POST /detokenize <c>{"tokens": [...]}</c> -> <c>{"content": string}</c>. Defaults match how prompts are encoded; an optional "model" picks the model's tokenizer.
/// </summary>
internal static class TokenizeEndpoints
{
    public static async Task TokenizeAsync(HttpContext http, ServerState state)
    {
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        using var lease = await state.AcquireAsync(fields.String("model"), http.RequestAborted);
        var served = lease.Model;
        string content = fields.String("content") ?? throw ApiException.BadRequest("content", "content is required.");
        bool addSpecial = fields.Bool("add_special") ?? true;
        bool parseSpecial = fields.Bool("parse_special") ?? true;
        int[] tokens = served.Tokenizer.Encode(content, addSpecial, parseSpecial);
        await InfoEndpoints.WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(new TokenizeResponse(tokens), ServerJsonContext.Default.TokenizeResponse));
    }

    public static async Task DetokenizeAsync(HttpContext http, ServerState state)
    {
        using var request = await RequestJson.ReadAsync(http);
        var fields = request.Fields;
        using var lease = await state.AcquireAsync(fields.String("model"), http.RequestAborted);
        var served = lease.Model;
        var tokens = fields.Get("tokens") ?? throw ApiException.BadRequest("tokens", "tokens is required.");
        int[] ids = tokens.ValueKind == JsonValueKind.Array && tokens.GetArrayLength() == 0
            ? []
            : PromptTokens.ReadTokenIds(tokens, "tokens", served.VocabularySize);
        string content = served.Tokenizer.Decode(ids);
        await InfoEndpoints.WriteJsonAsync(http, JsonSerializer.SerializeToUtf8Bytes(new DetokenizeResponse(content), ServerJsonContext.Default.DetokenizeResponse));
    }
}
