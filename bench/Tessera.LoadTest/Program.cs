using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Tessera.LoadTest;

// Runs `concurrency` workers that send requests back to back until the request count (or the duration) is reached.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine($"loadtest: {e.Message}");
    return 1;
}

using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromMinutes(10) };
string model = options.Model ?? await FirstModelAsync(http, options.ApiKey);
var client = new LoadClient(http, options, model);
var outcomes = new List<RequestOutcome>();
int started = 0;
var clock = Stopwatch.StartNew();
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

// With a shared system prompt, one request runs alone first: it computes the prefix the later ones may reuse.
RequestOutcome? first = null;
if (options.SystemPrompt is not null)
{
    first = await client.SendAsync(CancellationToken.None);
    started++;
}
clock.Restart();

bool More() => !stop.IsCancellationRequested && (options.Duration is { } duration
    ? clock.Elapsed < duration
    : Interlocked.Increment(ref started) <= options.Requests);

await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
{
    while (More())
    {
        var outcome = await client.SendAsync(CancellationToken.None);
        lock (outcomes)
            outcomes.Add(outcome);
    }
}));
Console.WriteLine($"model {model} at {options.Url}, {options.Concurrency} concurrent, {options.MaxTokens} tokens each, {(options.Stream ? "streaming" : "whole responses")}");
LoadReport.Write(Console.Out, outcomes, clock.Elapsed, first, options.Concurrency);
return outcomes.All(outcome => outcome.Status == 200) && first is null or { Status: 200 } ? 0 : 2;

static async Task<string> FirstModelAsync(HttpClient http, string? apiKey)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
    if (apiKey is not null)
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    using var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
    using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
    return json.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
}
