using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI;
using Tessera.Server.Hosting;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>A real server on a free loopback port with a model from the shared data, and clients for it.</summary>
public sealed class TestServer : IAsyncDisposable
{
    /// <summary>Generous: the suite must pass on a loaded 2-core machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public const string StoriesModel = "stories260K.gguf";
    public const string StoriesId = "stories260K";

    private TestServer(TesseraServer server, string? apiKey)
    {
        Server = server;
        // No draining: disposing an unfinished response must close the connection, as a client going away does.
        Http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress, Timeout = Timeout };
        if (apiKey is not null)
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        Client = new OpenAIClient(new ApiKeyCredential(apiKey ?? "unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.BaseAddress, "/v1"),
            NetworkTimeout = Timeout,
        });
    }

    public TesseraServer Server { get; }
    public HttpClient Http { get; }
    public OpenAIClient Client { get; }

    public static async Task<TestServer> StartAsync(string model = StoriesModel, int parallel = 4, int maxQueue = 16,
        int contextSize = 1024, string? apiKey = null, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var options = new ServerOptions
        {
            ModelPath = SharedData.Model(model),
            Port = 0,
            Parallel = parallel,
            MaxQueue = maxQueue,
            ContextSize = contextSize,
            Threads = 1,
            ApiKey = apiKey,
        };
        var server = await TesseraServer.StartAsync(configure?.Invoke(options) ?? options);
        await server.Ready.WaitAsync(Timeout);
        return new TestServer(server, apiKey);
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string json, CancellationToken cancellation = default)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await Http.PostAsync(path, content, cancellation);
    }

    /// <summary>POSTs and parses the JSON answer, asserting the status.</summary>
    public async Task<JsonElement> PostJsonAsync(string path, string json, int expectedStatus = 200)
    {
        using var response = await PostAsync(path, json);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"{path}: expected {expectedStatus}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<int[]> TokenizeAsync(string text)
    {
        var result = await PostJsonAsync("/tokenize", JsonSerializer.Serialize(new { content = text }));
        return result.GetProperty("tokens").EnumerateArray().Select(token => token.GetInt32()).ToArray();
    }

    /// <summary>The value of one unlabelled metric in /metrics.</summary>
    public async Task<double> MetricAsync(string name)
    {
        string text = await Http.GetStringAsync("/metrics");
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
                return double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new Xunit.Sdk.XunitException($"metric {name} not found in:\n{text}");
    }

    /// <summary>Polls a metric until it has the value (bounded by <see cref="Timeout"/>).</summary>
    public async Task WaitForMetricAsync(string name, double value)
    {
        var deadline = DateTime.UtcNow + Timeout;
        double last;
        while ((last = await MetricAsync(name)) != value)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{name} stayed {last}, expected {value}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>One stories260K server (4 slots) shared by the tests of a class.</summary>
public sealed class StoriesServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
