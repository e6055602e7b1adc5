namespace Tessera.Runtime.Experts;

/// <summary>
/// How many experts of each MoE layer stay resident under a memory limit: the dense weights (attention, norms,
/// routers, embeddings, head) are read every token and always stay; what is left of the limit holds the same number of
/// hot experts in every layer. The smallest workable limit holds the dense weights plus one layer's active experts
/// (the k a token uses), since those must be in memory while the layer computes.
/// </summary>
public sealed record ExpertTierPlan(int HotPerLayer, int ExpertCount, long MemoryLimit, long DenseBytes, long ExpertBytesPerLayerSlot,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Whether some experts are cold (the tier has work to do).</summary>
    public bool Active => HotPerLayer < ExpertCount;

    /// <summary>Bytes the plan keeps resident: the dense weights and the hot experts of every layer.</summary>
    public long ResidentBytes => DenseBytes + HotPerLayer * ExpertBytesPerLayerSlot;

    /// <param name="denseBytes">weights outside the expert tensors</param>
    /// <param name="expertBytes">[layers] bytes of one expert (gate, up and down) of each layer</param>
    /// <param name="usedPerToken">experts each token uses (k)</param>
    /// <param name="memoryLimit">the budget; null means the machine's memory</param>
    /// <param name="hotExperts">experts kept resident per layer; null chooses the most that fit</param>
    /// <exception cref="ExpertTierException">the limit cannot hold one layer's active experts, or more hot experts were
    /// asked for than the model has</exception>
    public static ExpertTierPlan Make(long denseBytes, IReadOnlyList<long> expertBytes, int expertCount, int usedPerToken, long? memoryLimit,
        int? hotExperts, long machineMemory)
    {
        if (hotExperts is < 0)
            throw new ExpertTierException($"--hot-experts {hotExperts} must not be negative");
        if (hotExperts > expertCount)
            throw new ExpertTierException($"--hot-experts {hotExperts} is more than the model's {expertCount} experts per layer");
        if (memoryLimit is <= 0)
            throw new ExpertTierException($"--mem-limit {memoryLimit} must be positive");
        long limit = memoryLimit ?? machineMemory;
        long perSlot = expertBytes.Sum();
        long oneLayerActive = usedPerToken * expertBytes.DefaultIfEmpty(0).Max();
        if (limit < denseBytes + oneLayerActive)
            throw new ExpertTierException($"--mem-limit {Bytes(limit)} is too small: the dense weights take {Bytes(denseBytes)} and one layer's " +
                $"{usedPerToken} active experts {Bytes(oneLayerActive)} more, so at least {Bytes(denseBytes + oneLayerActive)} is needed");
        int fitting = perSlot == 0 ? expertCount : (int)Math.Min(expertCount, (limit - denseBytes) / perSlot);
        var warnings = new List<string>();
        int hot = hotExperts ?? fitting;
        if (hot > fitting)
        {
            warnings.Add($"--hot-experts {hot} does not fit in --mem-limit {Bytes(limit)} (dense weights {Bytes(denseBytes)}, " +
                $"{Bytes(perSlot)} per hot expert in every layer): keeping {fitting} per layer");
            hot = fitting;
        }
        return new ExpertTierPlan(hot, expertCount, limit, denseBytes, perSlot, warnings);
    }

    internal static string Bytes(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";
}
