using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tessera.Cli;
using Tessera.Cli.Commands;

namespace Tessera.Server.Tests;

/// <summary>`tessera ps` against a real in-process server on a free loopback port, and with nothing listening.</summary>
public sealed class PsCommandTests
{
    private const string Key = "ps-command-key";

    [Fact]
    public async Task Prints_the_loaded_model_as_a_table_and_as_json()
    {
        await using var server = await TestServer.StartAsync(parallel: 2, contextSize: 256, apiKey: Key);
        string port = server.Server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var table = await RunAsync("ps", "--port", port, "--api-key", Key);
        Assert.Equal(TesseraCli.ExitOk, table.Code);
        Assert.Contains(TestServer.StoriesId, table.Out);
        Assert.Contains("cpu:", table.Out);
        Assert.Contains("0/2", table.Out);
        Assert.Contains("KV", table.Out);

        var json = await RunAsync("ps", "--host", "127.0.0.1", "--port", port, "--api-key", Key, "--json");
        Assert.Equal(TesseraCli.ExitOk, json.Code);
        var model = Assert.Single(JsonDocument.Parse(json.Out).RootElement.GetProperty("models").EnumerateArray());
        Assert.Equal(TestServer.StoriesId, model.GetProperty("id").GetString());
        Assert.Equal(256, model.GetProperty("context_size").GetInt32());

        var wrongKey = await RunAsync("ps", "--port", port, "--api-key", "wrong");
        Assert.Equal(TesseraCli.ExitError, wrongKey.Code);
        Assert.StartsWith($"tessera: error: the server at http://127.0.0.1:{port} answered 401: Missing or incorrect API key", wrongKey.Error);

        // The key may come from the environment, as for `tessera serve`.
        Environment.SetEnvironmentVariable(ServeCommand.ApiKeyVariable, Key);
        try
        {
            Assert.Equal(TesseraCli.ExitOk, (await RunAsync("ps", "--port", port)).Code);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ServeCommand.ApiKeyVariable, null);
        }
    }

    [Fact]
    public async Task Without_a_server_it_says_so_in_one_line_and_exits_1()
    {
        // A port that was free a moment ago: nothing listens there.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await RunAsync("ps", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TesseraCli.ExitError, result.Code);
        Assert.Equal($"tessera: error: no server at http://127.0.0.1:{port}: connection refused", result.Error.TrimEnd());
        Assert.Equal("", result.Out);
    }

    [Theory]
    [InlineData(5, "5s")]
    [InlineData(65, "1m 05s")]
    [InlineData(3 * 3600 + 61, "3h 01m 01s")]
    public void Uptime_is_short_and_readable(long seconds, string expected) => Assert.Equal(expected, PsCommand.Uptime(seconds));

    /// <summary>On a worker thread: the command blocks on its HTTP call.</summary>
    private static Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => Task.Run(() =>
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TesseraCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    });
}
