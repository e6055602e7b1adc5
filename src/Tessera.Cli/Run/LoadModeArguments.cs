using System.CommandLine;
using Tessera.Gguf;

namespace Tessera.Cli.Run;

/// <summary>
/// The --mmap / --no-mmap pair of the commands that run a model. Neither: <see cref="GgufLoadMode.Auto"/> (read into
/// huge-page memory when Linux offers it and the model is at most half the free memory, else map).
/// </summary>
public sealed class LoadModeArguments
{
    private readonly Option<bool> _mmap = new("--mmap") { Description = "Memory-map the model: instant start and shared pages, ~7% slower generation" };
    private readonly Option<bool> _noMmap = new("--no-mmap") { Description = "Read the model into memory with 2 MiB pages even when free memory looks short" };

    public void AddTo(Command command)
    {
        command.Options.Add(_mmap);
        command.Options.Add(_noMmap);
    }

    public GgufLoadMode Read(ParseResult parse)
    {
        bool map = parse.GetValue(_mmap), copy = parse.GetValue(_noMmap);
        if (map && copy)
            throw new CliException("--mmap and --no-mmap contradict each other; give one");
        return map ? GgufLoadMode.Map : copy ? GgufLoadMode.Copy : GgufLoadMode.Auto;
    }
}
