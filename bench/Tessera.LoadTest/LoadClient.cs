using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tessera.LoadTest;

/// <summary>Sends one completion request and times it (SSE chunks give time to first token and the gaps between tokens).</summary>
internal sealed class LoadClient(HttpClient http, LoadOptions options, string model)
{
    public async Task<RequestOutcome> SendAsync(CancellationToken cancellation)
    {
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
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = options.Prompt });
            body["messages"] = messages;
        }
        else
        {
            body["prompt"] = options.SystemPrompt is null ? options.Prompt : options.SystemPrompt + "\n" + options.Prompt;
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
                ? await ReadStreamAsync(response, clock, cancellation)
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

    private static async Task<RequestOutcome> ReadStreamAsync(HttpResponseMessage response, Stopwatch clock, CancellationToken cancellation)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
        double? first = null;
        double last = 0;
        var gaps = new List<double>();
        int tokens = 0;
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
