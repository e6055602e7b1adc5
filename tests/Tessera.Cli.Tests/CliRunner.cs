using System.Diagnostics;

namespace Tessera.Cli.Tests;

/// <summary>Runs `tessera` in-process and captures what it prints.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error);

public static class CliRunner
{
    public static CliResult Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs with <paramref name="stdin"/> as standard input (for interactive `run`).</summary>
    public static CliResult RunWithInput(string? stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var input = stdin is null ? null : new StringReader(stdin);
        int code = TesseraCli.Run(args, stdout, stderr, input);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs the built `tessera` executable as a child process; <paramref name="environment"/> entries are set
    /// (a null value removes the variable) on the child only.</summary>
    public static CliResult RunExecutable(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var process = StartExecutable(environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("tessera did not finish within 2 minutes");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the built `tessera` executable with its stdout and stderr redirected, without waiting for it.</summary>
    public static Process StartExecutable(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tessera.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment)
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        return Process.Start(start)!;
    }
}
