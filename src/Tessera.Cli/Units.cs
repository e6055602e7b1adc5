using System.Globalization;

namespace Tessera.Cli;

/// <summary>Human-readable sizes and counts (binary units for bytes, K/M/B for counts).</summary>
public static class Units
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? $"{bytes} B" : value.ToString("F2", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Count(long count) => count switch
    {
        >= 1_000_000_000 => (count / 1e9).ToString("F2", CultureInfo.InvariantCulture) + "B",
        >= 1_000_000 => (count / 1e6).ToString("F2", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (count / 1e3).ToString("F2", CultureInfo.InvariantCulture) + "K",
        _ => count.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A byte size as users write it: 4096, 512M, 8G, 1.5GiB, 2TB (K, M, G, T are powers of 1024).</summary>
    public static long ParseBytes(string text) => Server.Configuration.ByteSize.TryParse(text, out long bytes)
        ? bytes
        : throw new CliException($"'{text}' is not a size; write it like {Server.Configuration.ByteSize.Examples}");
}
