using System.Text.Json;

namespace Tessera.Server.Tests;

/// <summary>Reads a server-sent event stream: the JSON of every "data:" event and whether it ended with [DONE].</summary>
public static class SseReader
{
    public static async Task<(List<JsonElement> Events, bool Done)> ReadAllAsync(HttpResponseMessage response)
    {
        var events = new List<JsonElement>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        bool done = false;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
                continue;
            Assert.StartsWith("data: ", line);
            Assert.False(done, "an event came after [DONE]");
            string data = line["data: ".Length..];
            if (data == "[DONE]")
                done = true;
            else
                events.Add(JsonDocument.Parse(data).RootElement.Clone());
        }
        return (events, done);
    }
}
