using Tessera.Gguf;
using Tessera.Models.Architectures;

namespace Tessera.Models;

/// <summary>Opens a GGUF file and builds the model its `general.architecture` names.</summary>
public static class ModelLoader
{
    private static readonly Dictionary<string, Func<GgufFile, TransformerModel>> Architectures = new(StringComparer.Ordinal)
    {
        [Llama.Name] = Llama.Load,
        [Qwen2.Name] = Qwen2.Load,
        [Qwen3.Name] = Qwen3.Load,
        [Qwen3Moe.Name] = Qwen3Moe.Load,
    };

    public static IReadOnlyCollection<string> SupportedArchitectures => Architectures.Keys;

    public static TransformerModel Load(string path, GgufLoadMode mode = GgufLoadMode.Map)
    {
        var file = GgufFile.Open(path, mode);
        try
        {
            return Load(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Builds the model over an open file; the model takes ownership of it.</summary>
    public static TransformerModel Load(GgufFile file)
    {
        string architecture = file.Metadata.GetStringOrNull(GgufKeys.Architecture)
            ?? throw new ModelException($"required key {GgufKeys.Architecture} is missing");
        if (!Architectures.TryGetValue(architecture, out var load))
            throw new ModelException($"unknown architecture '{architecture}' (supported: {string.Join(", ", Architectures.Keys)})");
        return load(file);
    }
}
