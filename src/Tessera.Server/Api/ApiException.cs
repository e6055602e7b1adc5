namespace Tessera.Server.Api;

/// <summary>
/// A request the server will not serve, answered in OpenAI's error shape
/// <c>{"error":{"message","type","param","code"}}</c> with <see cref="Status"/>. Messages describe the problem without
/// repeating the client's bytes.
/// </summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string type = ApiException.InvalidRequest)
    : Exception(message)
{
    public const string InvalidRequest = "invalid_request_error";

    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>Seconds a client should wait before retrying (503 only).</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException BadRequest(string param, string message, string? code = null) => new(400, message, param, code);

    public static ApiException ModelNotFound() =>
        new(404, "The requested model does not exist; GET /v1/models lists the models this server serves.", "model", "model_not_found");

    public static ApiException Overloaded(int retryAfterSeconds) =>
        new(503, "The server is busy: every slot and queue place is taken. Retry later.", null, "server_overloaded", "server_error")
        {
            RetryAfterSeconds = retryAfterSeconds,
        };

    public static ApiException Unavailable(string message) => new(503, message, null, "model_unavailable", "server_error");

    public static ApiException Loading() =>
        new(503, "The model is still loading.", null, "model_loading", "server_error") { RetryAfterSeconds = 1 };
}
