using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tessera.Server.Api;

/// <summary>Writes <see cref="ApiException"/>s in OpenAI's error shape.</summary>
public static class ErrorResponses
{
    public static byte[] Body(ApiException error) => JsonSerializer.SerializeToUtf8Bytes(
        new ErrorBody(new ErrorDetail(error.Message, error.Type, error.Param, error.Code)), ServerJsonContext.Default.ErrorBody);

    public static async Task WriteAsync(HttpContext http, ApiException error)
    {
        var response = http.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfterSeconds is { } seconds)
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (error.Status == StatusCodes.Status401Unauthorized)
            response.Headers.WWWAuthenticate = "Bearer";
        await response.Body.WriteAsync(Body(error), http.RequestAborted);
    }
}
