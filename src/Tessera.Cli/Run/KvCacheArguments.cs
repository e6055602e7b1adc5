using System.CommandLine;
using Tessera.Server.Configuration;
using Tessera.Tensors;

namespace Tessera.Cli.Run;

/// <summary>
/// The --cache-type option (llama.cpp's -ctk) of the commands that run a model: the element type of the KV cache.
/// F16 by default; Q8_0 takes about half of F16's memory (and memory traffic at long context) for a small loss of
/// precision; F32 is exact.
/// </summary>
public sealed class KvCacheArguments
{
    private readonly Option<string> _cacheType = new("--cache-type", "-ctk")
    {
        Description = "KV cache type: f16, f32 or q8_0 (about half the memory of f16; heads must be a multiple of 32 wide)",
        DefaultValueFactory = _ => "f16",
    };

    public void AddTo(Command command) => command.Options.Add(_cacheType);

    /// <param name="fallback">the type when the option is not given (a config file's)</param>
    public GgmlType Read(ParseResult parse, GgmlType fallback = GgmlType.F16)
    {
        if (!parse.IsGiven(_cacheType))
            return fallback;
        string word = parse.GetValue(_cacheType)!;
        return OptionWords.KvCacheTypes.TryGetValue(word, out var type) ? type
            : throw new CliException($"--cache-type '{word}' is not {OptionWords.Choices(OptionWords.KvCacheTypes)}");
    }
}
