using Tessera.Devices;

namespace Tessera.Runtime.Placement;

/// <summary>What a fallback did: the device that failed, why, where its parts went, and how many cached tokens were recomputed.</summary>
public sealed record FallbackReport(ComputeDevice Device, string Reason, string Moved, int RecomputedTokens)
{
    public override string ToString() => $"device {Device.Name} failed ({Reason}); {Moved}; recomputed the KV cells of {RecomputedTokens} cached tokens";
}
