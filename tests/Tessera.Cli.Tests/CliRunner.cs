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
}
