using Tessera.Models;
using Tessera.Models.Experts;

namespace Tessera.Runtime.Experts;

/// <summary>
/// The expert counts of earlier runs that a context's expert tiers (<see cref="ExpertTier"/>, <see cref="DeviceExperts"/>)
/// start from, read once from the statistics file (<see cref="ExpertSeedFile"/>), and written back with this run's counts
/// added when the context closes.
/// </summary>
public sealed class ExpertSeed
{
    private ExpertSeed(string path, long[]? counts, string? warning)
    {
        Path = path;
        Counts = counts;
        Warning = warning;
    }

    /// <summary>The statistics file read and written.</summary>
    public string Path { get; }

    /// <summary>[layers, experts] counts of earlier runs; null when there were none (or the file was set aside).</summary>
    public long[]? Counts { get; }

    /// <summary>Why the file was set aside (another model's, unreadable); null otherwise.</summary>
    public string? Warning { get; }

    /// <param name="path">the file; null means <see cref="ExpertSeedFile.PathFor"/></param>
    public static ExpertSeed Load(TransformerModel model, string? path)
    {
        path ??= ExpertSeedFile.PathFor(model);
        var counts = ExpertSeedFile.Read(path, model, out string? warning);
        return new ExpertSeed(path, counts, warning);
    }

    /// <summary>Where a placement from these counts comes from, in words.</summary>
    public string Source(int expertsPerToken) => Counts is null
        ? "no statistics yet (the lowest expert ids until counts arrive)"
        : $"{Path} ({Counts.Sum() / Math.Max(1, expertsPerToken)} tokens recorded)";

    /// <summary>Writes the earlier counts plus <paramref name="statistics"/>' for the next start, when this run recorded
    /// any. A file that cannot be written costs only the next warm start, so that is not an error.</summary>
    public void Save(TransformerModel model, ExpertStatistics statistics)
    {
        if (!Enumerable.Range(0, statistics.LayerCount).Any(layer => statistics.Tokens(layer) > 0))
            return;
        var counts = new long[statistics.LayerCount * statistics.ExpertCount];
        for (int i = 0; i < counts.Length; i++)
            counts[i] = (Counts?[i] ?? 0) + statistics.Selections(i / statistics.ExpertCount, i % statistics.ExpertCount);
        try
        {
            ExpertSeedFile.Write(Path, model, counts);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
