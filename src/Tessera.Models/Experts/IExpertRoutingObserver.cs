namespace Tessera.Models.Experts;

/// <summary>Told each MoE layer's choices as the forward makes them, before the experts run (the memory tier counts
/// hits and prefetches the next layer's likely experts from here).</summary>
public interface IExpertRoutingObserver
{
    /// <param name="selected">[tokens, k] the expert ids chosen for each token of the step</param>
    void Routed(int layer, ReadOnlySpan<int> selected, int tokens);
}
