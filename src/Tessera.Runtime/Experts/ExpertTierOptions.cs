namespace Tessera.Runtime.Experts;

/// <summary>The CPU memory tier for MoE experts (`--mem-limit`, `--hot-experts`): which experts stay resident.</summary>
public sealed record ExpertTierOptions
{
    /// <summary>Bytes the model's weights may keep resident; null means the machine's memory.</summary>
    public long? MemoryLimit { get; init; }

    /// <summary>Experts per layer kept resident; null keeps as many as fit in <see cref="MemoryLimit"/> ("auto").</summary>
    public int? HotExperts { get; init; }

    /// <summary>The statistics file to start from and save to; null means <see cref="ExpertSeedFile.PathFor"/>.</summary>
    public string? SeedFile { get; init; }
}
