using System.CommandLine;

namespace Tessera.Cli.Run;

public static class ParseResultExtensions
{
    /// <summary>True when the option was typed on the command line (not filled in from its default): only then does it
    /// override the config file.</summary>
    public static bool IsGiven(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
