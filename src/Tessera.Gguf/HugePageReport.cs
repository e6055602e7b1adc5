namespace Tessera.Gguf;

/// <summary>What <see cref="GgufFile.PrefaultInHugePages"/> did to a model's mapped bytes.</summary>
/// <param name="Bytes">bytes mapped</param>
/// <param name="HugeBytes">of those, bytes mapped in 2 MiB pages</param>
/// <param name="Populated">whether every page was read in at once (false off Linux, before Linux 5.14, for copies,
/// for a model too large to stay in memory and for files with no whole 2 MiB chunk)</param>
/// <param name="ReadAgain">whether pages cached in small folios were dropped and read again from disk</param>
public readonly record struct HugePageReport(long Bytes, long HugeBytes, bool Populated, bool ReadAgain)
{
    public static HugePageReport operator +(HugePageReport a, HugePageReport b) =>
        new(a.Bytes + b.Bytes, a.HugeBytes + b.HugeBytes, a.Populated || b.Populated, a.ReadAgain || b.ReadAgain);

    /// <summary>One line for a command's output once <see cref="Populated"/>, e.g. "weights in 2 MiB pages: 607 of 607 MiB".</summary>
    public string Describe() =>
        $"weights in 2 MiB pages: {HugeBytes >> 20} of {Bytes >> 20} MiB" + (ReadAgain ? " (read again once from disk into 2 MiB pages)" : "");
}
