using System.Globalization;

namespace Tessera.Server.Configuration;

/// <summary>Byte sizes as users write them, in the config file and on the command line: 4096, 512M, 8G, 1.5GiB, 2TB
/// (K, M, G, T are powers of 1024).</summary>
public static class ByteSize
{
    public const string Examples = "512M, 8G or 1.5GiB";

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        string value = text.Trim();
        int end = value.Length;
        while (end > 0 && char.IsLetter(value[end - 1]))
            end--;
        long scale = value[end..].ToUpperInvariant() switch
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
            return false;
        bytes = (long)(number * scale);
        return true;
    }
}
