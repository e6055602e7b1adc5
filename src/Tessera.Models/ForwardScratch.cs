using Tessera.Devices;
using Tessera.Models.Placement;

namespace Tessera.Models;

/// <summary>
/// Buffers for forward passes of up to <see cref="MaxTokens"/> tokens: host arrays for what the host computes (the
/// embedding lookup, MoE routing) and one <see cref="DeviceScratch"/> per device that runs
/// a part of the model, created on first use. Allocated once and reused so that steady-state decoding allocates
/// nothing. One scratch per concurrent forward.
/// </summary>
public sealed class ForwardScratch : IDisposable
{
    private readonly Hyperparameters _hp;
    private readonly Dictionary<ComputeDevice, DeviceScratch> _devices = [];

    public ForwardScratch(Hyperparameters hp, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        _hp = hp;
        MaxTokens = maxTokens;
        Embedded = new float[maxTokens * hp.EmbeddingLength];
        OutputRows = new int[maxTokens];
        if (hp.IsMixtureOfExperts)
        {
            RouterLogits = new float[maxTokens * hp.ExpertCount];
            SelectedExperts = new int[maxTokens * hp.ExpertUsedCount];
            ExpertWeights = new float[maxTokens * hp.ExpertUsedCount];
            ExpertTokens = new int[maxTokens * hp.ExpertUsedCount];
            ExpertRouteWeights = new float[maxTokens * hp.ExpertUsedCount];
            ExpertProducts = new LinearProduct[Blocks.MoeBlock.MaxParallelProducts];
            ExpertGroups = new GroupedLinear[2 * hp.ExpertCount];
            ExpertOffsets = new int[hp.ExpertCount + 1];
            ExpertOnRemote = new bool[hp.ExpertCount];
        }
    }

    public int MaxTokens { get; }

    internal float[] Embedded { get; }               // [n_tokens, n_embd] embedding rows, and staging between two accelerators
    internal int[] OutputRows { get; }               // [n_outputs] batch index of each token whose logits are wanted
    internal float[] RouterLogits { get; } = [];     // [n_tokens, n_expert]
    internal int[] SelectedExperts { get; } = [];    // [n_tokens, n_expert_used]
    internal float[] ExpertWeights { get; } = [];    // [n_tokens, n_expert_used]
    internal int[] ExpertTokens { get; } = [];       // [tokens routed to the current expert], or [n_tokens * n_expert_used] expert by expert
    internal float[] ExpertRouteWeights { get; } = [];  // [same]: the routing weight of each
    internal LinearProduct[] ExpertProducts { get; } = [];  // the products of one parallel expert pass
    internal GroupedLinear[] ExpertGroups { get; } = [];    // [2 * n_expert] the products of one grouped expert pass
    internal int[] ExpertOffsets { get; } = [];      // [n_expert + 1] where each expert's routed rows start in ExpertTokens
    internal bool[] ExpertOnRemote { get; } = [];    // [n_expert] this step's experts computed from a copy on an accelerator

    /// <summary>This forward's buffers on <paramref name="device"/>.</summary>
    public DeviceScratch On(ComputeDevice device)
    {
        if (!_devices.TryGetValue(device, out var scratch))
        {
            scratch = new DeviceScratch(device, _hp, MaxTokens);
            _devices.Add(device, scratch);
        }
        return scratch;
    }

    /// <summary>Frees the buffers on <paramref name="device"/> (it failed, or left the plan).</summary>
    public void Release(ComputeDevice device)
    {
        if (_devices.Remove(device, out var scratch))
            scratch.Dispose();
    }

    public void Dispose()
    {
        foreach (var scratch in _devices.Values)
            scratch.Dispose();
        _devices.Clear();
    }
}
