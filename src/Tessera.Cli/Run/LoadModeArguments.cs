using System.CommandLine;
using Tessera.Gguf;

namespace Tessera.Cli.Run;

/// <summary>
/// The --no-mmap option of the commands that run a model: the model is memory-mapped unless it is given (instant
/// start, pages shared through the page cache); with it the file is read into 2 MiB huge-page memory, which costs
/// one read of the file at start and makes generation 2-7% faster (<see cref="GgufLoadMode.Copy"/>).
/// </summary>
public sealed class LoadModeArguments
{
    private readonly Option<bool> _noMmap = new("--no-mmap") { Description = "Read the model into 2 MiB-page memory instead of mapping it: slower start, 2-7% faster generation" };

    public void AddTo(Command command) => command.Options.Add(_noMmap);

    /// <param name="fallback">the mode when --no-mmap is not given (a config file's)</param>
    public GgufLoadMode Read(ParseResult parse, GgufLoadMode fallback = GgufLoadMode.Map) =>
        parse.IsGiven(_noMmap) ? (parse.GetValue(_noMmap) ? GgufLoadMode.Copy : GgufLoadMode.Map) : fallback;
}
