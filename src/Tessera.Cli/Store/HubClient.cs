using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Tessera.Cli.Store;

/// <summary>A file in a hub repository: its path, size and, for LFS files, the sha256 the hub publishes.</summary>
public sealed record HubFile(string Path, long Size, string? Sha256);

/// <summary>An error worth retrying: the connection dropped or timed out, or the server said 5xx or 429.</summary>
public sealed class TransientException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The parts of the Hugging Face hub HTTP API a pull needs: listing a repository's files and GET with redirects followed
/// by hand, so each hop is checked (http/https only, at most <see cref="MaxRedirects"/>) and the token goes to the
/// endpoint's host only, never to the CDN a download redirects to.
/// </summary>
public sealed class HubClient : IDisposable
{
    public const int MaxRedirects = 10;

    private readonly StoreSettings _settings;
    private readonly Uri _endpoint;
    private readonly HttpClient _http;

    public HubClient(StoreSettings settings)
    {
        _settings = settings;
        if (!Uri.TryCreate(settings.Endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var endpoint) || !IsHttp(endpoint))
            throw new CliException($"{StoreSettings.EndpointVariable} '{settings.Endpoint}' is not an http(s) URL");
        _endpoint = endpoint;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = TimeSpan.FromSeconds(100), // until the response headers; body reads have their own timeout
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("tessera/1.0");
    }

    public Uri ResolveUrl(string owner, string repo, string revision, string file) =>
        new(_endpoint, $"{Escape(owner)}/{Escape(repo)}/resolve/{Escape(revision)}/{string.Join('/', file.Split('/').Select(Escape))}");

    /// <summary>Most listing pages followed: the hub pages its tree by 1000 entries; no GGUF repository needs more.</summary>
    public const int MaxListingPages = 100;

    /// <summary>
    /// The files of a repository at a revision (GET /api/models/OWNER/REPO/tree/REVISION), following the hub's
    /// <c>Link: &lt;...&gt;; rel="next"</c> pages, on the endpoint's own host only.
    /// </summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string owner, string repo, string revision, CancellationToken cancel)
    {
        var url = new Uri(_endpoint, $"api/models/{Escape(owner)}/{Escape(repo)}/tree/{Escape(revision)}?recursive=true"); // split parts may sit in a subfolder
        var files = new List<HubFile>();
        for (int page = 1; ; page++)
        {
            var next = await ListPageAsync(url, owner, repo, files, cancel);
            if (next is null)
                return files;
            if (!SameAuthority(next, _endpoint))
                throw new CliException($"the hub's file list for {owner}/{repo} points its next page to another host ({next.Host})");
            if (page >= MaxListingPages)
                throw new CliException($"the hub's file list for {owner}/{repo} runs past {MaxListingPages} pages");
            url = next;
        }
    }

    /// <summary>Adds one page of the listing to <paramref name="files"/>; returns the next page's address, if any.</summary>
    private async Task<Uri?> ListPageAsync(Uri url, string owner, string repo, List<HubFile> files, CancellationToken cancel)
    {
        using var response = await GetAsync(url, rangeStart: null, $"{owner}/{repo}", cancel);
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancel);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new TransientException($"{url.Host}: connection lost while listing {owner}/{repo} ({e.Message})", e);
        }
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var entry in json.RootElement.EnumerateArray())
            {
                if (entry.TryGetProperty("type", out var type) && type.GetString() != "file")
                    continue;
                string path = entry.GetProperty("path").GetString() ?? "";
                long size = entry.TryGetProperty("size", out var s) ? s.GetInt64() : -1;
                string? sha = null;
                if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    sha = lfs.TryGetProperty("oid", out var oid) ? oid.GetString()?.ToLowerInvariant() : null;
                    if (lfs.TryGetProperty("size", out var lfsSize))
                        size = lfsSize.GetInt64();
                }
                files.Add(new HubFile(path, size, sha));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new CliException($"the hub's file list for {owner}/{repo} is not valid: {e.Message}");
        }
        return NextPage(response, url);
    }

    /// <summary>The rel="next" target of the Link header, resolved against the page's address.</summary>
    private static Uri? NextPage(HttpResponseMessage response, Uri page)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
            return null;
        foreach (string link in values.SelectMany(value => value.Split(',')))
        {
            string[] parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length < 2 || !parts[0].StartsWith('<') || !parts[0].EndsWith('>'))
                continue;
            if (parts.Skip(1).Any(p => p.Replace(" ", "", StringComparison.Ordinal).Equals("rel=\"next\"", StringComparison.OrdinalIgnoreCase)
                    || p.Equals("rel=next", StringComparison.OrdinalIgnoreCase))
                && Uri.TryCreate(page, parts[0][1..^1], out var next))
                return next;
        }
        return null;
    }

    /// <summary>
    /// GET <paramref name="url"/> (from byte <paramref name="rangeStart"/> when given), following redirects. Returns a
    /// 200 or 206 response with its body unread; throws <see cref="CliException"/> for answers a retry cannot fix.
    /// </summary>
    public async Task<HttpResponseMessage> GetAsync(Uri url, long? rangeStart, string what, CancellationToken cancel)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (rangeStart is long start)
                request.Headers.Range = new RangeHeaderValue(start, null);
            if (_settings.Token is not null && SameAuthority(url, _endpoint))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _settings.Token);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            }
            catch (HttpRequestException e)
            {
                throw new TransientException($"{url.Host}: {e.Message}", e);
            }
            catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
            {
                throw new TransientException($"{url.Host}: timed out", e);
            }

            int code = (int)response.StatusCode;
            if (code is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= MaxRedirects)
                    throw new CliException($"{what}: more than {MaxRedirects} redirects");
                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                if (!IsHttp(next))
                    throw new CliException($"{what}: refusing a redirect to '{next}' (only http and https are followed)");
                url = next;
                continue;
            }
            if (response.IsSuccessStatusCode)
                return response;
            response.Dispose();
            throw response.StatusCode switch
            {
                HttpStatusCode.NotFound => new CliException($"{what}: repository or file not found (HTTP 404)"),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    new CliException($"{what}: access denied: the repository may be gated; set {StoreSettings.TokenVariable} (HTTP {code})"),
                HttpStatusCode.TooManyRequests => new TransientException($"{what}: too many requests (HTTP 429)"),
                HttpStatusCode.RequestedRangeNotSatisfiable => new RangeNotSatisfiableException(),
                _ when code >= 500 => new TransientException($"{what}: server error (HTTP {code})"),
                _ => new CliException($"{what}: the server answered HTTP {code} {response.ReasonPhrase}"),
            };
        }
    }

    /// <summary>Runs <paramref name="attempt"/>, retrying transient errors with exponential backoff.</summary>
    public static async Task<T> WithRetriesAsync<T>(StoreSettings settings, TextWriter log, Func<Task<T>> attempt)
    {
        var delay = settings.FirstRetryDelay;
        for (int retry = 0; ; retry++)
        {
            try
            {
                return await attempt();
            }
            catch (TransientException e) when (retry < settings.Retries)
            {
                log.WriteLine($"tessera: {e.Message}; retrying in {delay.TotalSeconds:0.0#} s ({retry + 1} of {settings.Retries})");
                await Task.Delay(delay);
                delay *= 2;
            }
        }
    }

    private static bool IsHttp(Uri url) => url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp;

    private static bool SameAuthority(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static string Escape(string part) => Uri.EscapeDataString(part);

    public void Dispose() => _http.Dispose();
}

/// <summary>HTTP 416 for a resumed download: the partial file is not a prefix the server can continue.</summary>
public sealed class RangeNotSatisfiableException() : Exception("range not satisfiable (HTTP 416)");
