namespace Tessera.Server.Alerts;

/// <summary>
/// The memory a leak would grow: on Linux `RssAnon` of /proc/self/status (managed heap, native buffers, KV cache),
/// which leaves out the mapped model files (their pages belong to the page cache and come and go with use); elsewhere
/// the working set.
/// </summary>
public static class ProcessMemory
{
    public static long ResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                // "RssAnon:\t  123456 kB"
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal)
                    && long.TryParse(line["RssAnon:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), out long kib))
                    return kib * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc is not mounted.
        }
        return Environment.WorkingSet;
    }
}
