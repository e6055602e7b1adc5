using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.LoadTest;

/// <summary>Sends one completion request and times it (SSE chunks give time to first token and the gaps between tokens).</summary>
internal sealed class LoadClient(HttpClient http, LoadOptions options, string model)
{
    private readonly Random _random = new(options.Seed);
    private readonly string[] _filler = FillerWords();

    public async Task<RequestOutcome> SendAsync(CancellationToken cancellation)
    {
        var (prompt, dropAfter) = NextShape();
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = options.MaxTokens,
            ["temperature"] = options.Temperature,
            ["stream"] = options.Stream,
        };
        if (options.Stream)
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        if (options.Chat)
        {
            var messages = new JsonArray();
            if (options.SystemPrompt is not null)
                messages.Add(new JsonObject { ["role"] = "system", ["content"] = options.SystemPrompt });
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = prompt });
            body["messages"] = messages;
        }
        else
        {
            body["prompt"] = options.SystemPrompt is null ? prompt : options.SystemPrompt + "\n" + prompt;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Chat ? "/v1/chat/completions" : "/v1/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (options.ApiKey is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);

        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
            if (!response.IsSuccessStatusCode)
            {
                await response.Content.ReadAsByteArrayAsync(cancellation);
                return new RequestOutcome((int)response.StatusCode, clock.Elapsed.TotalSeconds, null, [], 0);
            }
            return options.Stream
                ? await ReadStreamAsync(response, clock, dropAfter, cancellation)
                : await ReadWholeAsync(response, clock, cancellation);
        }
        catch (HttpRequestException)
        {
            return new RequestOutcome(0, clock.Elapsed.TotalSeconds, null, [], 0);
        }
    }

    private static async Task<RequestOutcome> ReadWholeAsync(HttpResponseMessage response, Stopwatch clock, CancellationToken cancellation)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellation));
        int tokens = json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        return new RequestOutcome((int)response.StatusCode, clock.Elapsed.TotalSeconds, null, [], tokens);
    }

    /// <summary>This request's prompt and, for a simulated disconnect, after how many text chunks to drop it.</summary>
    private (string Prompt, int? DropAfter) NextShape()
    {
        lock (_random)
        {
            string prompt = options.Prompt;
            if (options.MixedPromptWords > 0)
            {
                int words = _random.Next(options.MixedPromptWords + 1);
                int start = _random.Next(_filler.Length);
                var extra = Enumerable.Range(0, words).Select(i => _filler[(start + i) % _filler.Length]);
                prompt = words == 0 ? prompt : prompt + " " + string.Join(' ', extra);
            }
            int? dropAfter = options.Stream && _random.NextDouble() < options.DisconnectRate
                ? _random.Next(1, Math.Max(2, options.MaxTokens))
                : null;
            return (prompt, dropAfter);
        }
    }

    /// <summary>Words of the bundled sample text (the shared system prompt file) for mixed prompt lengths.</summary>
    private static string[] FillerWords()
    {
        string file = Path.Combine(AppContext.BaseDirectory, "system-prompt.txt");
        string text = File.Exists(file) ? File.ReadAllText(file) : "the quick brown fox jumps over the lazy dog";
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task<RequestOutcome> ReadStreamAsync(HttpResponseMessage response, Stopwatch clock, int? dropAfter, CancellationToken cancellation)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
        double? first = null;
        double last = 0;
        var gaps = new List<double>();
        int tokens = 0, chunks = 0;
        while (await reader.ReadLineAsync(cancellation) is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
                continue;
            double now = clock.Elapsed.TotalSeconds;
            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            if (chunk.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                tokens = usage.GetProperty("completion_tokens").GetInt32();
                continue;
            }
            // Chunks without text (a chat stream's opening role delta) carry no token: they do not count.
            if (!CarriesText(chunk.RootElement))
                continue;
            if (first is null)
                first = now;
            else
                gaps.Add(now - last);
            last = now;
            // A simulated disconnect: stop reading and let the response (and its connection) be disposed mid-stream.
            if (++chunks == dropAfter)
                return new RequestOutcome((int)response.StatusCode, clock.Elapsed.TotalSeconds, first, gaps, chunks, Dropped: true);
        }
        return new RequestOutcome((int)response.StatusCode, clock.Elapsed.TotalSeconds, first, gaps, tokens);
    }

    /// <summary>Whether a stream chunk's first choice has text (chat delta content or completion text).</summary>
    private static bool CarriesText(JsonElement chunk)
    {
        if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            return false;
        var choice = choices[0];
        var text = choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
            ? (delta.TryGetProperty("content", out var content) ? content : default)
            : (choice.TryGetProperty("text", out var plain) ? plain : default);
        return text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 0;
    }
}
