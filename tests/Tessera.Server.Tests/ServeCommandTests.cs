using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Tessera.Cli;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>`tessera serve`: argument errors in-process; a real child process for listening and SIGTERM (POSIX `kill`).</summary>
public sealed partial class ServeCommandTests
{
    [Theory]
    [InlineData("--parallel", "0")]
    [InlineData("--port", "70000")]
    [InlineData("--max-queue", "-1")]
    [InlineData("--host", "example.com")]
    public void Bad_options_exit_1_with_one_line(string option, string value)
    {
        // Nothing listens: each of these is refused before the server starts.
        var (code, error) = Run("serve", SharedData.Model(TestServer.StoriesModel), option, value);
        Assert.Equal(TesseraCli.ExitError, code);
        Assert.StartsWith("tessera: error:", error);
    }

    [Fact]
    public void A_missing_model_exits_1()
    {
        var (code, error) = Run("serve", "no-such-model.gguf", "--port", "0");
        Assert.Equal(TesseraCli.ExitError, code);
        Assert.Contains("not found", error);
    }

    [Fact]
    public async Task Serves_until_SIGTERM_and_then_exits_0()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "tessera.dll"), "serve", SharedData.Model(TestServer.StoriesModel),
                     "--port", "0", "--parallel", "2", "--ctx", "256", "--threads", "1" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = new List<string>();
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        Uri? address = null;
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null)
                return;
            lock (stderr)
                stderr.Add(line.Data);
            if (ListeningLine().Match(line.Data) is { Success: true } match)
                address = new Uri(match.Groups[1].Value);
            if (line.Data.Contains("ready:") && address is not null)
                ready.TrySetResult(address);
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var baseAddress = await ready.Task.WaitAsync(TestServer.Timeout);
            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TestServer.Timeout };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
            using var content = new StringContent("""{"prompt":"Once upon a time","max_tokens":3}""", System.Text.Encoding.UTF8, "application/json");
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/completions", content)).StatusCode);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
                await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TestServer.Timeout);
            Assert.Equal(0, process.ExitCode);
            lock (stderr)
                Assert.Contains(stderr, line => line.Contains("stopped"));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [GeneratedRegex(@"listening on (http://\S+?)/? ")]
    private static partial Regex ListeningLine();

    private static (int Code, string Error) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TesseraCli.Run(args, stdout, stderr);
        return (code, stderr.ToString());
    }
}
