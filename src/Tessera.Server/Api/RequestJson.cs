using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tessera.Server.Api;

/// <summary>A request body read as one JSON object (at most <see cref="RequestLimits.MaxJsonDepth"/> levels deep);
/// its fields stay readable until disposed.</summary>
internal sealed class RequestJson : IDisposable
{
    private readonly JsonDocument _document;

    private RequestJson(JsonDocument document)
    {
        _document = document;
        try
        {
            Fields = new JsonFields(document.RootElement, "");
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    public JsonFields Fields { get; }

    public static async Task<RequestJson> ReadAsync(HttpContext http) => new(await ParseAsync(http));

    private static async Task<JsonDocument> ParseAsync(HttpContext http)
    {
        try
        {
            return await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { MaxDepth = RequestLimits.MaxJsonDepth },
                http.RequestAborted);
        }
        catch (JsonException e)
        {
            // JsonException's own message quotes the offending bytes; say where instead.
            throw new ApiException(400, $"The request body is not valid JSON or nests deeper than {RequestLimits.MaxJsonDepth} levels "
                + $"(line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).", null, "invalid_json");
        }
    }

    public void Dispose() => _document.Dispose();
}
