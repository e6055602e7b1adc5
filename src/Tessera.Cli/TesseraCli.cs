using System.CommandLine;
using Tessera.Cli.Commands;
using Tessera.Gguf;

namespace Tessera.Cli;

/// <summary>
/// The `tessera` command line. <see cref="Run"/> takes its writers as parameters so tests run commands in-process.
/// Errors a user can cause (missing file, malformed GGUF, bad argument) print one line on stderr and exit 1;
/// `--verbose` adds the stack trace.
/// </summary>
public static class TesseraCli
{
    public const int ExitOk = 0;
    public const int ExitError = 1;

    /// <param name="stdin">what `run` reads its interactive turns from (the console when null)</param>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null)
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print more detail (stack traces on errors)", Recursive = true };
        var root = new RootCommand("Tessera: on-device LLM inference engine");
        root.Options.Add(verbose);
        var output = new CommandOutput(stdout, stderr);
        root.Subcommands.Add(InfoCommand.Create(output));
        root.Subcommands.Add(QuantizeCommand.Create(output));
        root.Subcommands.Add(SynthCommand.Create(output));
        root.Subcommands.Add(RunCommand.Create(output, stdin));
        root.Subcommands.Add(EmbedCommand.Create(output));
        root.Subcommands.Add(PerplexityCommand.Create(output));
        root.Subcommands.Add(BenchCommand.Create(output));
        root.Subcommands.Add(ServeCommand.Create(output));
        root.Subcommands.Add(ConfigCommand.Create(output));
        root.Subcommands.Add(PsCommand.Create(output));
        root.Subcommands.Add(DevicesCommand.Create(output));
        root.Subcommands.Add(PullCommand.Create(output));
        root.Subcommands.Add(ListCommand.Create(output));
        root.Subcommands.Add(RmCommand.Create(output, stdin));
        root.Subcommands.Add(ShowCommand.Create(output));

        var parsed = root.Parse(args);
        try
        {
            return parsed.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception e) when (IsUserError(e))
        {
            stderr.WriteLine($"tessera: error: {e.Message}");
            if (parsed.GetValue(verbose))
                stderr.WriteLine(e.ToString());
            return ExitError;
        }
    }

    private static bool IsUserError(Exception e) => e is CliException or GgufFormatException or IOException
        or UnauthorizedAccessException or NotSupportedException or ArgumentException or InvalidDataException
        or Runtime.Placement.PlacementException or Server.Configuration.ConfigException or Runtime.Experts.ExpertTierException;
}

/// <summary>Where a command writes: results to <see cref="Out"/>, progress and diagnostics to <see cref="Error"/>.</summary>
public sealed record CommandOutput(TextWriter Out, TextWriter Error);
