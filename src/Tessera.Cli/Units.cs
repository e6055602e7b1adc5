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
    public static long ParseBytes(string text)
    {
        string value = text.Trim();
        int end = value.Length;
        while (end > 0 && char.IsLetter(value[end - 1]))
            end--;
        string unit = value[end..].ToUpperInvariant();
        long scale = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            _ => 0,
        };
        if (scale == 0 || !double.TryParse(value[..end], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number)
            || number * scale >= long.MaxValue)
            throw new CliException($"'{text}' is not a size; write it like 512M, 8G or 1.5GiB");
        return (long)(number * scale);
    }
}
