using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tessera.Server.Tests;

/// <summary>`tessera serve` as a real child process, started once it prints "ready:", killed when disposed if still running.</summary>
public sealed partial class ServeProcess : IAsyncDisposable
{
    private readonly List<string> _stderr = [];

    private ServeProcess(Process process) => Process = process;

    public Process Process { get; }
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The lines written to stderr so far.</summary>
    public IReadOnlyList<string> Stderr
    {
        get { lock (_stderr) return _stderr.ToArray(); }
    }

    public static Task<ServeProcess> StartAsync(params string[] args) => StartAsync(new Dictionary<string, string>(), args);

    /// <param name="environment">variables set for the child only (e.g. its config history folder)</param>
    public static async Task<ServeProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tessera.dll"));
        foreach (string argument in args)
            start.ArgumentList.Add(argument);
        var serve = new ServeProcess(Process.Start(start)!);
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        Uri? address = null;
        serve.Process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is null)
                return;
            lock (serve._stderr)
                serve._stderr.Add(line.Data);
            if (ListeningLine().Match(line.Data) is { Success: true } match)
                address = new Uri(match.Groups[1].Value);
            if (line.Data.Contains("ready:") && address is not null)
                ready.TrySetResult(address);
        };
        serve.Process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("tessera serve exited before it was ready"));
        serve.Process.EnableRaisingEvents = true;
        serve.Process.OutputDataReceived += (_, _) => { };
        serve.Process.BeginErrorReadLine();
        serve.Process.BeginOutputReadLine();
        try
        {
            serve.Http = new HttpClient { BaseAddress = await ready.Task.WaitAsync(TestServer.Timeout), Timeout = TestServer.Timeout };
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until stderr has a line containing <paramref name="text"/> (bounded by <see cref="TestServer.Timeout"/>).</summary>
    public async Task<string> WaitForLineAsync(string text)
    {
        var deadline = DateTime.UtcNow + TestServer.Timeout;
        while (true)
        {
            if (Stderr.FirstOrDefault(line => line.Contains(text, StringComparison.Ordinal)) is { } found)
                return found;
            Assert.True(DateTime.UtcNow < deadline, $"no line with '{text}' in:\n{string.Join("\n", Stderr)}");
            await Task.Delay(20);
        }
    }

    [GeneratedRegex(@"listening on (http://\S+?)/? ")]
    private static partial Regex ListeningLine();

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill();
            await Process.WaitForExitAsync();
        }
        Process.Dispose();
    }
}
