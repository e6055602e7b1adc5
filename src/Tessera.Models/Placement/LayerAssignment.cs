using Tessera.Devices;

namespace Tessera.Models.Placement;

/// <summary>
/// Which device runs each part of the model: per layer its attention sub-block (norm, q/k/v/o, its KV cache) and its
/// feed-forward sub-block (norm, dense or expert FFN), and the output head (final norm and output projection). The
/// token embedding is always read on the host. The planner decides it; <see cref="ModelPlacement"/> carries it out.
/// </summary>
public sealed record LayerAssignment(IReadOnlyList<ComputeDevice> Attention, IReadOnlyList<ComputeDevice> FeedForward, ComputeDevice Head)
{
    /// <summary>Everything on one device.</summary>
    public static LayerAssignment AllOn(ComputeDevice device, int layerCount) =>
        new(Enumerable.Repeat(device, layerCount).ToArray(), Enumerable.Repeat(device, layerCount).ToArray(), device);

    public int LayerCount => Attention.Count;

    /// <summary>Every device used, the head's last, each once.</summary>
    public IReadOnlyList<ComputeDevice> Devices => Attention.Concat(FeedForward).Append(Head).Distinct().ToArray();
}
