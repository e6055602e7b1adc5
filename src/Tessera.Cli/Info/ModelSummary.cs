using Tessera.Gguf;
using Tessera.Tensors;

namespace Tessera.Cli.Info;

/// <summary>Bytes and element counts of all tensors of one type in a model.</summary>
public sealed record TypeShare(GgmlType Type, int TensorCount, long Elements, long Bytes);

/// <summary>
/// What `tessera info` reports about a GGUF file: computed from metadata and tensor infos only,
/// so it works on vocab-only files and never touches tensor data.
/// </summary>
public sealed record ModelSummary(
    string Path,
    long FileSize,
    uint GgufVersion,
    long Alignment,
    string? Architecture,
    string? Name,
    string? FileType,
    long ParameterCount,
    int TensorCount,
    IReadOnlyList<TypeShare> TypeMix,
    long? ContextLength,
    long? EmbeddingLength,
    long? BlockCount,
    long? HeadCount,
    long? HeadCountKv,
    long? FeedForwardLength,
    long? ExpertCount,
    long? ExpertUsedCount,
    string? TokenizerModel,
    string? TokenizerPre,
    int? VocabularySize,
    long? BosTokenId,
    long? EosTokenId,
    bool HasChatTemplate)
{
    public static ModelSummary From(GgufFile file)
    {
        var m = file.Metadata;
        string? arch = m.GetStringOrNull(GgufKeys.Architecture);
        long? ArchInt(string keyFormat) => arch is null ? null : IntegerOrNull(m, GgufKeys.ForArch(keyFormat, arch));

        var mix = file.Tensors
            .GroupBy(t => t.Type)
            .Select(g => new TypeShare(g.Key, g.Count(), g.Sum(t => t.ElementCount), g.Sum(t => t.ByteSize)))
            .OrderByDescending(s => s.Bytes)
            .ToArray();

        return new ModelSummary(
            Path: file.Path,
            FileSize: file.FileSize,
            GgufVersion: file.Version,
            Alignment: file.Alignment,
            Architecture: arch,
            Name: m.GetStringOrNull(GgufKeys.Name),
            FileType: IntegerOrNull(m, GgufKeys.FileType) is { } ft ? FileTypeNames.Describe(ft) : null,
            ParameterCount: file.Tensors.Sum(t => t.ElementCount),
            TensorCount: file.Tensors.Count,
            TypeMix: mix,
            ContextLength: ArchInt(GgufKeys.ContextLength),
            EmbeddingLength: ArchInt(GgufKeys.EmbeddingLength),
            BlockCount: ArchInt(GgufKeys.BlockCount),
            HeadCount: ArchInt(GgufKeys.HeadCount),
            HeadCountKv: ArchInt(GgufKeys.HeadCountKv),
            FeedForwardLength: ArchInt(GgufKeys.FeedForwardLength),
            ExpertCount: ArchInt(GgufKeys.ExpertCount),
            ExpertUsedCount: ArchInt(GgufKeys.ExpertUsedCount),
            TokenizerModel: m.GetStringOrNull(GgufKeys.TokenizerModel),
            TokenizerPre: m.GetStringOrNull(GgufKeys.TokenizerPre),
            VocabularySize: m.Find(GgufKeys.TokenizerTokens)?.Value is Array tokens ? tokens.Length : null,
            BosTokenId: IntegerOrNull(m, GgufKeys.TokenizerBosTokenId),
            EosTokenId: IntegerOrNull(m, GgufKeys.TokenizerEosTokenId),
            HasChatTemplate: m.ContainsKey(GgufKeys.ChatTemplate));
    }

    /// <summary>An integer value, or null when the key is absent or not an integer (info shows what it can).</summary>
    private static long? IntegerOrNull(GgufMetadata m, string key)
    {
        try { return m.GetIntegerOrNull(key); }
        catch (GgufFormatException) { return null; }
    }
}
