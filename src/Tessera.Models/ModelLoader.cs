using Tessera.Gguf;
using Tessera.Models.Architectures;
using Tessera.Models.Encoders;

namespace Tessera.Models;

/// <summary>Opens a GGUF file and builds the model its `general.architecture` names: a decoder (text generation) or an
/// encoder (embeddings only).</summary>
public static class ModelLoader
{
    private static readonly Dictionary<string, Func<GgufFile, TransformerModel>> Architectures = new(StringComparer.Ordinal)
    {
        [Llama.Name] = Llama.Load,
        [Qwen2.Name] = Qwen2.Load,
        [Qwen3.Name] = Qwen3.Load,
        [Qwen3Moe.Name] = Qwen3Moe.Load,
    };

    private static readonly Dictionary<string, Func<GgufFile, EncoderModel>> EncoderArchitectures = new(StringComparer.Ordinal)
    {
        [Bert.Name] = Bert.Load,
    };

    /// <summary>Decoder architectures (those <see cref="Load(GgufFile)"/> builds).</summary>
    public static IReadOnlyCollection<string> SupportedArchitectures => Architectures.Keys;

    /// <summary>Encoder architectures (those <see cref="LoadEncoder(GgufFile)"/> builds).</summary>
    public static IReadOnlyCollection<string> SupportedEncoderArchitectures => EncoderArchitectures.Keys;

    public static TransformerModel Load(string path, GgufLoadMode mode = GgufLoadMode.Map) => Owning(GgufFile.Open(path, mode), Load);

    /// <summary>Builds the model over an open file; the model takes ownership of it.</summary>
    public static TransformerModel Load(GgufFile file)
    {
        string architecture = ArchitectureOf(file);
        if (EncoderArchitectures.ContainsKey(architecture))
            throw new ModelException($"architecture '{architecture}' is an encoder (embeddings only); it cannot generate text");
        if (!Architectures.TryGetValue(architecture, out var load))
            throw Unknown(architecture);
        return load(file);
    }

    public static EncoderModel LoadEncoder(string path, GgufLoadMode mode = GgufLoadMode.Map) => Owning(GgufFile.Open(path, mode), LoadEncoder);

    /// <summary>Builds the encoder over an open file; the model takes ownership of it.</summary>
    public static EncoderModel LoadEncoder(GgufFile file)
    {
        string architecture = ArchitectureOf(file);
        if (!EncoderArchitectures.TryGetValue(architecture, out var load))
            throw Architectures.ContainsKey(architecture)
                ? new ModelException($"architecture '{architecture}' is a decoder, not an encoder")
                : Unknown(architecture);
        return load(file);
    }

    /// <summary>Whether the file holds an encoder (to be opened with <see cref="LoadEncoder(GgufFile)"/>).</summary>
    public static bool IsEncoder(GgufFile file) => EncoderArchitectures.ContainsKey(ArchitectureOf(file));

    private static string ArchitectureOf(GgufFile file) => file.Metadata.GetStringOrNull(GgufKeys.Architecture)
        ?? throw new ModelException($"required key {GgufKeys.Architecture} is missing");

    private static ModelException Unknown(string architecture) => new(
        $"unknown architecture '{architecture}' (supported: {string.Join(", ", Architectures.Keys.Concat(EncoderArchitectures.Keys))})");

    private static T Owning<T>(GgufFile file, Func<GgufFile, T> load)
    {
        try
        {
            return load(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
