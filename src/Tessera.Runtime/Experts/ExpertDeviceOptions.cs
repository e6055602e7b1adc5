namespace Tessera.Runtime.Experts;

/// <summary>Hot experts on an accelerator (`--moe-device NAME[:SIZE]`): the MoE feed-forward runs on the CPU and copies of
/// each layer's most chosen experts live in <see cref="Device"/>'s memory, up to <see cref="MemoryBytes"/>.</summary>
public sealed record ExpertDeviceOptions
{
    /// <summary>The accelerator's name as `tessera devices` lists it (`opencl`, `opencl1`).</summary>
    public required string Device { get; init; }

    /// <summary>Device memory the copies may take; null means <see cref="DefaultShareOfFreeMemory"/> of its free memory.</summary>
    public long? MemoryBytes { get; init; }

    /// <summary>The statistics file to start from and save to (with `--mem-limit` too, that tier's file wins); null means the default one.</summary>
    public string? SeedFile { get; init; }

    /// <summary>Share of the device's free memory the copies take by default, leaving room for its activations.</summary>
    public const double DefaultShareOfFreeMemory = 0.8;
}
