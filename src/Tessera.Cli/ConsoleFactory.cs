using Spectre.Console;

namespace Tessera.Cli;

/// <summary>Spectre consoles bound to a given writer, so tables and progress go where the command says.</summary>
public static class ConsoleFactory
{
    public static IAnsiConsole For(TextWriter writer)
    {
        bool isTerminal = (writer == Console.Out && !Console.IsOutputRedirected)
            || (writer == Console.Error && !Console.IsErrorRedirected);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!isTerminal)
            console.Profile.Width = 160; // wide enough that piped tables do not wrap tensor names
        return console;
    }
}
