using System.Runtime.InteropServices;

namespace Tessera.Runtime.Experts;

/// <summary>
/// The kernel's page-residency calls for ranges of a memory-mapped model (Linux; elsewhere every call is a no-op that
/// reports failure): read ahead, lock, unlock and drop. Ranges are widened to whole
/// pages for what brings pages in and narrowed for what pushes them out, so a neighbour's pages are never dropped.
/// </summary>
internal static unsafe partial class MemoryAdvice
{
    private const int WillNeed = 3;     // MADV_WILLNEED: start reading the pages in, return at once
    private const int DontNeed = 4;     // MADV_DONTNEED: drop the mapping's pages (a read-only file mapping refaults them from the file)

    public static readonly long PageSize = Environment.SystemPageSize;

    private static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Starts reading the range in without waiting for it.</summary>
    public static bool Prefetch(byte* start, long bytes) => Supported && Outward(start, bytes, out var s, out var n) && madvise(s, n, WillNeed) == 0;

    /// <summary>Reads the range in and locks it in memory; false where locking is not allowed (RLIMIT_MEMLOCK).</summary>
    public static bool Lock(byte* start, long bytes) => Supported && Outward(start, bytes, out var s, out var n) && mlock(s, n) == 0;

    public static void Unlock(byte* start, long bytes)
    {
        if (Supported && Inward(start, bytes, out var s, out var n))
            munlock(s, n);
    }

    /// <summary>Unmaps the range's pages from the process: they leave its resident memory and are read again (from the
    /// page cache, or the file once the kernel has reclaimed them) when next used.</summary>
    public static void Release(byte* start, long bytes)
    {
        if (Supported && Inward(start, bytes, out var s, out var n))
            madvise(s, n, DontNeed);
    }

    private static bool Outward(byte* start, long bytes, out void* alignedStart, out nuint alignedBytes)
    {
        long first = (long)start / PageSize * PageSize;
        long end = ((long)start + bytes + PageSize - 1) / PageSize * PageSize;
        alignedStart = (void*)first;
        alignedBytes = (nuint)(end - first);
        return bytes > 0;
    }

    private static bool Inward(byte* start, long bytes, out void* alignedStart, out nuint alignedBytes)
    {
        long first = ((long)start + PageSize - 1) / PageSize * PageSize;
        long end = ((long)start + bytes) / PageSize * PageSize;
        alignedStart = (void*)first;
        alignedBytes = end > first ? (nuint)(end - first) : 0;
        return end > first;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(void* address, nuint length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mlock(void* address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munlock(void* address, nuint length);
}
