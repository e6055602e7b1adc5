using System.Globalization;

namespace Tessera.Gguf.Reading;

/// <summary>Reads Linux's /proc/PID/smaps text: one header line per mapping ("START-END perms offset dev inode
/// path", addresses in hex) followed by "Field:   N kB" lines.</summary>
internal static class SmapsText
{
    /// <summary>Sum of FilePmdMapped (bytes of file pages mapped with 2 MiB entries) over the mappings that overlap
    /// [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public static long FilePmdMappedBytes(string smaps, ulong start, ulong end)
    {
        long total = 0;
        bool inside = false;
        foreach (var line in smaps.AsSpan().EnumerateLines())
        {
            if (TryParseRange(line, out ulong from, out ulong to))
                inside = from < end && to > start;
            else if (inside && line.StartsWith("FilePmdMapped:"))
                total += Kilobytes(line["FilePmdMapped:".Length..]) * 1024;
        }
        return total;
    }

    private static bool TryParseRange(ReadOnlySpan<char> line, out ulong from, out ulong to)
    {
        from = to = 0;
        int dash = line.IndexOf('-'), space = line.IndexOf(' ');
        return dash > 0 && space > dash
            && ulong.TryParse(line[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out from)
            && ulong.TryParse(line[(dash + 1)..space], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out to);
    }

    private static long Kilobytes(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (value.EndsWith(" kB"))
            value = value[..^3];
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb : 0;
    }
}
