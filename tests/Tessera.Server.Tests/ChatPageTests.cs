using System.Net;
using System.Text.Json;
using Microsoft.Playwright;

namespace Tessera.Server.Tests;

/// <summary>The chat page at GET /: served without a key; driven in headless Chromium against a real server.</summary>
public sealed class ChatPageTests
{
    private const string Key = "page-key";

    [Fact]
    public async Task The_page_is_one_html_file_with_the_controls()
    {
        await using var server = await TestServer.StartAsync(parallel: 1);
        using var response = await server.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        string html = await response.Content.ReadAsStringAsync();
        foreach (string id in new[] { "model", "temperature", "max-tokens", "api-key", "prompt", "send", "stop", "messages", "rate" })
            Assert.Contains($"id=\"{id}\"", html);
        Assert.DoesNotContain("src=\"http", html);   // nothing from a CDN
    }

    [ChromiumFact]
    public async Task Streams_a_reply_stops_it_and_keeps_the_conversation()
    {
        await using var server = await TestServer.StartAsync(parallel: 1, apiKey: Key);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium.Path, Headless = true });
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add(message.Text); };
        page.PageError += (_, error) => { lock (errors) errors.Add(error); };
        page.SetDefaultTimeout((float)TestServer.Timeout.TotalMilliseconds);

        await page.GotoAsync(server.Server.BaseAddress.ToString());
        // Without the key the model list is refused and the page says why; Chromium logs that 401 as a console
        // error, the one error expected here.
        await page.WaitForFunctionAsync("() => document.querySelector('#status').textContent.includes('API key')");
        lock (errors)
        {
            Assert.Contains("401", Assert.Single(errors));
            errors.Clear();
        }
        await page.FillAsync("#api-key", Key);
        await page.ClickAsync("#reload-models");
        await page.WaitForSelectorAsync($"#model option[value='{TestServer.StoriesId}']", new() { State = WaitForSelectorState.Attached });
        await page.FillAsync("#max-tokens", "900");

        // Slow the network to ~20 chunks/s so the reply is still streaming when stop is pressed.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = 4000, ["uploadThroughput"] = -1,
        });

        await page.FillAsync("#prompt", "Once upon a time");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => (document.querySelector('#messages .assistant .content')?.textContent ?? '').length > 20");
        await page.WaitForFunctionAsync("() => document.querySelector('#rate').textContent.includes('tokens/s')");
        Assert.True(await page.IsEnabledAsync("#stop"), "the reply ended before it could be stopped");
        await page.ClickAsync("#stop");
        await page.WaitForFunctionAsync("() => document.querySelector('#status').textContent === 'stopped'");
        Assert.True(await page.IsEnabledAsync("#send"));
        Assert.False(await page.IsEnabledAsync("#stop"));
        string reply = await page.TextContentAsync("#messages .assistant .content") ?? "";
        await Task.Delay(300);
        Assert.Equal(reply, await page.TextContentAsync("#messages .assistant .content"));   // nothing arrives after stop
        Assert.Contains("Once upon a time", await page.TextContentAsync("#messages .user") ?? "");

        // Saved next to the test assembly: bin/Release/net10.0/TestResults/chat-page.png.
        string screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "chat-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 0);

        // The next turn sends the whole conversation, the stopped reply included.
        var request = page.WaitForRequestAsync(r => r.Url.EndsWith("/v1/chat/completions", StringComparison.Ordinal));
        await page.FillAsync("#prompt", "And then?");
        await page.PressAsync("#prompt", "Enter");
        var body = JsonDocument.Parse((await request).PostData!).RootElement;
        Assert.Equal(["user", "assistant", "user"], body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(reply, body.GetProperty("messages")[1].GetProperty("content").GetString());
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.Equal(900, body.GetProperty("max_tokens").GetInt32());
        await page.ClickAsync("#stop");
        await page.WaitForFunctionAsync("() => !document.querySelector('#send').disabled");

        lock (errors)
            Assert.True(errors.Count == 0, "console errors: " + string.Join("; ", errors));
    }
}

/// <summary>Skipped, saying why, where there is no /usr/bin/chromium or Playwright cannot start its driver: never
/// passes silently. The browser is Debian's chromium (no Playwright browser download).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute() => Skip = Chromium.SkipReason.Value;
}

internal static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    public static readonly Lazy<string?> SkipReason = new(() =>
    {
        if (!File.Exists(Path))
            return $"no {Path} (apt-get install chromium)";
        try
        {
            using var playwright = Playwright.CreateAsync().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return "Playwright cannot start its driver: " + e.Message;
        }
    });
}
