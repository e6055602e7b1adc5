namespace Tessera.Devices.Cpu;

/// <summary>Host memory in bytes, from /proc/meminfo on Linux (the GC's view elsewhere).</summary>
internal readonly record struct HostMemory(long Total, long Available)
{
    public static HostMemory Read()
    {
        try
        {
            long total = 0, available = 0;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                    total = Kibibytes(line);
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    available = Kibibytes(line);
            }
            if (total > 0)
                return new HostMemory(total, available > 0 ? available : total);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        var info = GC.GetGCMemoryInfo();
        return new HostMemory(info.TotalAvailableMemoryBytes, info.TotalAvailableMemoryBytes - info.MemoryLoadBytes);
    }

    private static long Kibibytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
