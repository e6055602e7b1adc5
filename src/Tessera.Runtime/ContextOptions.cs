using Tessera.Devices;
using Tessera.Runtime.Placement;
using Tessera.Tensors;

namespace Tessera.Runtime;

/// <summary>Settings of an <see cref="InferenceContext"/>.</summary>
public sealed record ContextOptions
{
    /// <summary>Default prompt-processing chunk: large enough for the matrix-matrix kernels to pay off, small enough
    /// that activation scratch stays a few MB for common model widths.</summary>
    public const int DefaultBatchSize = 512;

    /// <summary>Positions per sequence; 0 means the model's training context.</summary>
    public int ContextSize { get; init; }

    /// <summary>Most tokens per forward pass; longer prompts are processed in chunks of this size.</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Sequences that can be live at once (sessions).</summary>
    public int SequenceCount { get; init; } = 1;

    /// <summary>How the KV cache is paged and whether full pages are kept for later sequences with the same prefix;
    /// null keeps each sequence in one page (no sharing), as a single-user session wants.</summary>
    public Paging.KvPaging? Paging { get; init; }

    /// <summary>F16 (default) or F32.</summary>
    public GgmlType KvCacheType { get; init; } = GgmlType.F16;

    /// <summary>Kernel threads, the caller included; 0 means the physical cores.</summary>
    public int Threads { get; init; }

    /// <summary>How MoE layers schedule their experts (`--moe-schedule auto|off`).</summary>
    public Models.Experts.MoeSchedule MoeSchedule { get; init; } = Models.Experts.MoeSchedule.Auto;

    /// <summary>The CPU memory tier for MoE experts (`--mem-limit`, `--hot-experts`); null keeps every expert as the
    /// operating system pages it.</summary>
    public Experts.ExpertTierOptions? ExpertTier { get; init; }

    /// <summary>Copies of the hottest MoE experts on an accelerator (`--moe-device`); null keeps experts with their layer.</summary>
    public Experts.ExpertDeviceOptions? ExpertDevice { get; init; }

    /// <summary>Where to run the model; null runs everything on the CPU without planning (no device is measured).</summary>
    public PlacementOptions? Placement { get; init; }

    /// <summary>Measured device speeds the planner works from; null measures each device once and caches the result on disk
    /// (<see cref="Devices.Measurement.DeviceSpeedCache"/>).</summary>
    public Func<ComputeDevice, Devices.Measurement.DeviceSpeed>? Speeds { get; init; }

    /// <summary>Accelerators the planner may use; null means those <see cref="DeviceDiscovery"/> finds.</summary>
    public IReadOnlyList<ComputeDevice>? Accelerators { get; init; }
}
