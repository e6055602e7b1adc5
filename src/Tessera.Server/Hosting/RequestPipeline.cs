using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tessera.Server.Api;

namespace Tessera.Server.Hosting;

/// <summary>
/// Middleware around every endpoint: access checks, OpenAI-shaped errors (a client's mistake is never a 500, an
/// internal fault never shows its details) and request counts by endpoint and status for /metrics.
/// </summary>
internal sealed class RequestPipeline(ServerState state, AccessGuard guard, ILogger logger)
{
    private static readonly HashSet<string> KnownEndpoints = new(StringComparer.Ordinal)
    {
        "/v1/chat/completions", "/v1/completions", "/v1/models", "/tokenize", "/detokenize", "/health", "/metrics", "/api/ps", "/",
        "/v1/status",
    };

    /// <summary>Polled by monitoring: left out of the alerts' error rate and latency, which would drown in them.</summary>
    private static readonly HashSet<string> MonitoringEndpoints = new(StringComparer.Ordinal) { "/health", "/metrics", "/v1/status" };

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (guard.Check(http.Request) is { } denied)
                await ErrorResponses.WriteAsync(http, denied);
            else
                await next(http);
        }
        catch (ApiException error) when (!http.Response.HasStarted)
        {
            await ErrorResponses.WriteAsync(http, error);
        }
        catch (BadHttpRequestException error) when (!http.Response.HasStarted)
        {
            // Kestrel's limits (body too large, slow upload) and malformed requests.
            await ErrorResponses.WriteAsync(http, new ApiException(error.StatusCode,
                error.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"The request body exceeds {RequestLimits.MaxBodyBytes} bytes." : "The request is malformed.",
                null, error.StatusCode == StatusCodes.Status413PayloadTooLarge ? "body_too_large" : "bad_request"));
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            logger.LogError(e, "request failed");
            await ErrorResponses.WriteAsync(http, new ApiException(500, "The server failed to handle the request.", null, "internal_error", "server_error"));
        }
        finally
        {
            string endpoint = EndpointName(http.Request.Path);
            state.Metrics.RecordRequest(endpoint, http.Response.StatusCode);
            if (!MonitoringEndpoints.Contains(endpoint))
                state.Metrics.RecentRequests.Record(http.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>Answers requests no endpoint takes: 405 on a known path (wrong method), 404 elsewhere.</summary>
    public static Task NotFoundAsync(HttpContext http) => ErrorResponses.WriteAsync(http, EndpointName(http.Request.Path) == "other"
        ? new ApiException(404, "There is no endpoint at this path.", null, "not_found")
        : new ApiException(405, "This endpoint does not accept this method.", null, "method_not_allowed"));

    private static string EndpointName(PathString path)
    {
        string value = path.Value ?? "";
        if (value.StartsWith("/v1/models/", StringComparison.Ordinal))
            return "/v1/models/{id}";
        return KnownEndpoints.Contains(value) ? value : "other";
    }
}
