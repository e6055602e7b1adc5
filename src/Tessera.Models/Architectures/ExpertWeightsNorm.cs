using Tessera.Gguf;

namespace Tessera.Models.Architectures;

/// <summary>`{arch}.expert_weights_norm`, when a file states it, overrides the architecture's default renormalisation.</summary>
internal static class ExpertWeightsNorm
{
    public const string KeyFormat = "{0}.expert_weights_norm";

    public static TransformerOptions Apply(GgufMetadata metadata, string architecture, TransformerOptions defaults) =>
        metadata.GetBoolOrNull(GgufKeys.ForArch(KeyFormat, architecture)) is { } normalize
            ? defaults with { NormalizeExpertWeights = normalize }
            : defaults;
}
