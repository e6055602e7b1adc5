using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Tessera.Server.Api;

namespace Tessera.Server.Hosting;

/// <summary>
/// Who may talk to the server. When it listens on loopback, requests must name a local host (so a web page cannot
/// reach it through DNS rebinding); when an API key is set, every endpoint but /health and the chat page (/, whose own
/// requests send the key) needs "Authorization: Bearer KEY",
/// compared in constant time (hashes of equal length, so neither content nor length leaks through timing).
/// </summary>
internal sealed class AccessGuard(ServerOptions options)
{
    private static readonly string[] LocalHostNames = ["localhost", "127.0.0.1", "[::1]", "::1"];

    private readonly bool _loopbackOnly = options.ListensOnLoopbackOnly;
    private readonly byte[]? _keyHash = options.ApiKey is { } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    public const string PublicPath = "/health";
    public const string ChatPagePath = "/";

    /// <summary>Null when the request may pass, otherwise the error to answer with.</summary>
    public ApiException? Check(HttpRequest request)
    {
        if (_loopbackOnly && !LocalHostNames.Contains(request.Host.Host, StringComparer.OrdinalIgnoreCase))
            return new ApiException(403, "This server only answers requests addressed to a local host name.", null, "host_not_allowed", "permission_error");
        if (_keyHash is null || request.Path.Equals(PublicPath, StringComparison.Ordinal)
            || request.Path.Equals(ChatPagePath, StringComparison.Ordinal))
            return null;
        string header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        bool valid = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim())), _keyHash);
        return valid ? null : new ApiException(401, "Missing or incorrect API key. Send it as \"Authorization: Bearer KEY\".", null, "invalid_api_key");
    }
}
