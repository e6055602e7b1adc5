using Microsoft.AspNetCore.Http;

namespace Tessera.Server.Endpoints;

/// <summary>GET /: a one-file chat page embedded in this assembly (no files next to the binary, no build step).</summary>
internal static class ChatPage
{
    private const string ResourceName = "Tessera.Server.Web.chat.html";

    private static readonly Lazy<byte[]> Html = new(() =>
    {
        using var stream = typeof(ChatPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static async Task ServeAsync(HttpContext http)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        // The page only talks to this origin; it must not be framed by another site.
        http.Response.Headers["Content-Security-Policy"] = "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";
        http.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await http.Response.Body.WriteAsync(Html.Value, http.RequestAborted);
    }
}
