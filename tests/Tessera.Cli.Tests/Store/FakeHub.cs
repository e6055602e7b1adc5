using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tessera.Cli.Tests.Store;

/// <summary>A file in a <see cref="FakeHub"/> repository; <see cref="ListedName"/> is what the tree listing calls it.</summary>
public sealed class HubRepoFile(string listedName, byte[] data)
{
    public string ListedName { get; } = listedName;
    public byte[] Data { get; } = data;
    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(data));
}

/// <summary>
/// A local stand-in for the Hugging Face hub on a loopback port: the tree and resolve routes with real bytes, sha256
/// oids and Range support, and switches that misbehave the ways a real network and an untrusted hub can.
/// </summary>
public sealed class FakeHub : IDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, List<HubRepoFile>> _repos = new(StringComparer.Ordinal);

    public FakeHub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/api/models/{owner}/{repo}/tree/{revision}", Tree);
        _app.MapGet("/{owner}/{repo}/resolve/{revision}/{**file}", Resolve);
        Task.Run(() => _app.StartAsync()).GetAwaiter().GetResult();
        Endpoint = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public string Endpoint { get; }

    /// <summary>Every request as "GET /path" plus " range=bytes=N-" when it asked for a range.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public IEnumerable<string> RangeRequests => Requests.Where(r => r.Contains(" range="));

    /// <summary>Repositories ("owner/repo") that answer 401, as gated repositories do without a token.</summary>
    public HashSet<string> Gated { get; } = [];

    /// <summary>Downloads after this many body bytes drop the connection (while <see cref="DropsLeft"/> > 0).</summary>
    public long DropAfter { get; set; }
    public int DropsLeft { get; set; }

    /// <summary>Downloads send this many body bytes and then nothing more until the client goes away (0: off).</summary>
    public long StallAfter { get; set; }

    /// <summary>Serves the file with one byte flipped (the listing keeps the true sha256).</summary>
    public bool CorruptByte { get; set; }

    /// <summary>Resolve answers 302 to this location instead of serving bytes (except at the location itself).</summary>
    public string? RedirectTo { get; set; }

    /// <summary>Resolve answers this status (503, 429...) while <see cref="FailuresLeft"/> > 0.</summary>
    public int FailWith { get; set; } = 503;
    public int FailuresLeft { get; set; }

    /// <summary>Added to the sizes the listing gives, to make the hub disagree with the bytes it serves.</summary>
    public long ListedSizeDelta { get; set; }

    /// <summary>The Authorization headers resolve requests carried.</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    /// <summary>Tree listings come in pages of this many entries linked by rel="next" (0: one page).</summary>
    public int PageSize { get; set; }

    /// <summary>The next-page link points to this origin instead of the hub's own (a hostile listing).</summary>
    public string? NextPageOrigin { get; set; }

    public void AddRepo(string ownerRepo, params HubRepoFile[] files) => _repos[ownerRepo] = [.. files];

    private IResult Tree(string owner, string repo, string revision, HttpContext context)
    {
        Requests.Enqueue($"GET {context.Request.Path}{context.Request.QueryString}");
        string key = owner + "/" + repo;
        if (Gated.Contains(key))
            return Results.Unauthorized();
        if (!_repos.TryGetValue(key, out var files))
            return Results.NotFound();
        var listing = files.Select(f => new
        {
            type = "file",
            path = f.ListedName,
            size = f.Data.Length + ListedSizeDelta,
            lfs = new { oid = f.Sha256, size = f.Data.Length + ListedSizeDelta },
        }).Append<object>(new { type = "file", path = "README.md", size = 10 }).ToList();
        if (PageSize > 0)
        {
            int cursor = int.TryParse(context.Request.Query["cursor"], out int c) ? c : 0;
            if (cursor + PageSize < listing.Count)
                context.Response.Headers["Link"] = $"<{NextPageOrigin ?? Endpoint}{context.Request.Path}?recursive=true&cursor={cursor + PageSize}>; rel=\"next\"";
            listing = listing.Skip(cursor).Take(PageSize).ToList();
        }
        return Results.Json(listing);
    }

    private async Task Resolve(string owner, string repo, string revision, string file, HttpContext context)
    {
        string range = context.Request.Headers.Range.ToString();
        Requests.Enqueue($"GET {context.Request.Path}" + (range.Length > 0 ? " range=" + range : ""));
        Authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
        string key = owner + "/" + repo;
        var found = Gated.Contains(key) ? null
            : _repos.TryGetValue(key, out var files) ? files.FirstOrDefault(f => f.ListedName == file) : null;
        if (found is null)
        {
            context.Response.StatusCode = Gated.Contains(key) ? 401 : 404;
            return;
        }
        if (FailuresLeft > 0)
        {
            FailuresLeft--;
            context.Response.StatusCode = FailWith;
            return;
        }
        if (RedirectTo is not null && !RedirectTo.EndsWith(context.Request.Path.ToString(), StringComparison.Ordinal))
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = RedirectTo;
            return;
        }
        byte[] data = found.Data;
        if (CorruptByte)
        {
            data = (byte[])data.Clone();
            data[data.Length / 2] ^= 0x5A;
        }
        long start = 0;
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range["bytes=".Length..^1]);
            if (start >= data.Length)
            {
                context.Response.StatusCode = 416;
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{data.Length - 1}/{data.Length}";
        }
        context.Response.ContentLength = data.Length - start;
        context.Response.ContentType = "application/octet-stream";
        long end = data.Length;
        bool drop = DropsLeft > 0 && DropAfter > start && DropAfter < data.Length;
        if (drop)
        {
            DropsLeft--;
            end = DropAfter;
        }
        if (StallAfter > start && StallAfter < end)
        {
            await context.Response.Body.WriteAsync(data.AsMemory((int)start, (int)(StallAfter - start)));
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return;
        }
        await context.Response.Body.WriteAsync(data.AsMemory((int)start, (int)(end - start)));
        if (drop)
        {
            // Let the bytes reach the client, then cut the connection as a network failure would.
            await context.Response.Body.FlushAsync();
            await Task.Delay(200);
            context.Abort();
        }
    }

    public void Dispose() => Task.Run(async () => { await _app.StopAsync(); await _app.DisposeAsync(); }).GetAwaiter().GetResult();
}
