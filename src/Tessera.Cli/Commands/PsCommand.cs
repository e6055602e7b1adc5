using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Spectre.Console;
using Tessera.Server.Api;
using Tessera.Server.Hosting;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera ps [--host H] [--port P] [--api-key KEY] [--json]`: what a running `tessera serve` has loaded, read from
/// its GET /api/ps: the model, where its parts run, memory, busy slots and uptime.
/// </summary>
public static class PsCommand
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(CommandOutput output)
    {
        var host = new Option<string>("--host") { Description = "Address of the server", DefaultValueFactory = _ => ServerOptions.DefaultHost };
        var port = new Option<int>("--port") { Description = "Port of the server", DefaultValueFactory = _ => ServerOptions.DefaultPort };
        var apiKey = new Option<string?>("--api-key") { Description = $"The server's API key (or set {ServeCommand.ApiKeyVariable})" };
        var json = new Option<bool>("--json") { Description = "Print the server's JSON instead of a table" };
        var command = new Command("ps", "Show what a running server has loaded");
        foreach (var option in new Option[] { host, port, apiKey, json })
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var address = new UriBuilder(Uri.UriSchemeHttp, parse.GetValue(host)!, parse.GetValue(port)).Uri;
            string key = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(ServeCommand.ApiKeyVariable) ?? "";
            string body = FetchAsync(address, key).GetAwaiter().GetResult();
            if (parse.GetValue(json))
                WriteIndented(output.Out, body);
            else
                WriteTable(output.Out, JsonSerializer.Deserialize(body, ServerJsonContext.Default.ProcessList)
                    ?? throw new CliException($"the server at {Origin(address)} sent no process list"));
            return TesseraCli.ExitOk;
        });
        return command;
    }

    /// <summary>The body of GET /api/ps; every failure is one line naming the server.</summary>
    private static async Task<string> FetchAsync(Uri address, string key)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = RequestTimeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ps");
        if (key.Length > 0)
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
                throw new CliException($"the server at {Origin(address)} answered {(int)response.StatusCode}: {ErrorMessage(body)}");
            return body;
        }
        catch (HttpRequestException e)
        {
            string reason = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } ? "connection refused" : e.Message;
            throw new CliException($"no server at {Origin(address)}: {reason}");
        }
        catch (TaskCanceledException)
        {
            throw new CliException($"no answer from {Origin(address)} within {RequestTimeout.TotalSeconds:F0} s");
        }
    }

    private static string Origin(Uri address) => address.GetLeftPart(UriPartial.Authority);

    /// <summary>The message of the server's error shape, or the start of whatever else it sent.</summary>
    private static string ErrorMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message))
                return message.GetString() ?? "";
        }
        catch (JsonException)
        {
        }
        return body.Length > 200 ? body[..200] : body;
    }

    private static void WriteIndented(TextWriter writer, string body)
    {
        using var document = JsonDocument.Parse(body);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            document.WriteTo(json);
        writer.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteTable(TextWriter writer, ProcessList list)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("model").AddColumn("devices (parts)")
            .AddColumn("memory", c => c.RightAligned()).AddColumn("slots busy/total", c => c.RightAligned())
            .AddColumn("context", c => c.RightAligned()).AddColumn("uptime", c => c.RightAligned());
        foreach (var m in list.Models)
        {
            string devices = string.Join('\n', m.Devices.Select(d => $"{d.Name}: {d.Parts}"));
            string memory = $"{Units.Bytes(m.Devices.Sum(d => d.WeightBytes))} weights\n{Units.Bytes(m.KvCacheBytes)} KV";
            table.AddTextRow(m.Id, devices, memory, $"{m.SlotsBusy}/{m.SlotsTotal}",
                m.ContextSize.ToString(CultureInfo.InvariantCulture), Uptime(m.UptimeSeconds));
        }
        var console = ConsoleFactory.For(writer);
        console.Write(table);
        long used = list.Models.Sum(m => m.Devices.Sum(d => d.WeightBytes) + m.KvCacheBytes);
        console.WriteLine($"{list.Models.Count} of at most {list.MaxLoadedModels} models loaded, {Units.Bytes(used)} of a {Units.Bytes(list.MemoryBudgetBytes)} budget");
    }

    public static string Uptime(long seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes:D2}m {t.Seconds:D2}s"
            : t.TotalMinutes >= 1 ? $"{t.Minutes}m {t.Seconds:D2}s" : $"{t.Seconds}s";
    }
}
