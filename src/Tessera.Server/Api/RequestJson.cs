using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tessera.Server.Api;

/// <summary>Reads a request body as JSON (at most <see cref="RequestLimits.MaxJsonDepth"/> levels deep).</summary>
internal static class RequestJson
{
    public static async Task<JsonDocument> ReadAsync(HttpContext http)
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
}
