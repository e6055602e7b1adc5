using System.Runtime.InteropServices;

namespace Tessera.Gguf.Reading;

/// <summary>
/// Brings a read-only file mapping into memory at once, in 2 MiB pages where Linux allows.
/// <para>
/// Decode reads every weight once a token, so with 4 KiB pages it takes a TLB miss every 4 KiB of weights. Linux maps a
/// file with 2 MiB entries when the page cache holds it in 2 MiB folios. Files on ext4, xfs and other filesystems
/// with large folios (Linux 6.16 and later for ext4) are cached that way when they are read under
/// <c>MADV_HUGEPAGE</c>, and stay cached that way for every process that maps them later.
/// </para>
/// <para>
/// A file read or written earlier without that advice (just downloaded, say) sits in the cache in small folios. Those
/// are dropped and read again from disk, once: only after a check on one 2 MiB chunk that a re-read gives a 2 MiB
/// page, so where the system cannot, nothing more than that chunk is read again. Dropping clean file pages loses
/// nothing: pages another process maps stay as they are, and written pages not yet on disk are written first.
/// </para>
/// </summary>
internal static unsafe partial class HugePageCache
{
    public const long ChunkBytes = 2 << 20;

    private const int MadviseDontNeed = 4;       // MADV_DONTNEED: unmap this process's pages of the range
    private const int MadviseHugePage = 14;      // MADV_HUGEPAGE
    private const int MadvisePopulateRead = 22;  // MADV_POPULATE_READ (Linux 5.14): fault the range in, readable
    private const int FadviseDontNeed = 4;       // POSIX_FADV_DONTNEED: drop the file's cached pages nobody maps

    /// <summary>Reads every page of the <paramref name="length"/> bytes mapped read-only from <paramref name="path"/> at
    /// <paramref name="start"/> (page aligned, file offset 0) and makes them 2 MiB pages where the system can.</summary>
    public static HugePageReport Settle(string path, byte* start, long length)
    {
        long whole = WholeChunkBytes(start, length);
        if (!OperatingSystem.IsLinux() || whole == 0)
            return new HugePageReport(length, 0, Populated: false, ReadAgain: false);
        nuint bytes = (nuint)length;
        _ = Madvise(start, bytes, MadviseHugePage);
        if (Madvise(start, bytes, MadvisePopulateRead) != 0)
            return new HugePageReport(length, 0, Populated: false, ReadAgain: false);   // before Linux 5.14

        long huge = PmdMappedBytes(start, length);
        if (huge >= whole)
            return new HugePageReport(length, huge, Populated: true, ReadAgain: false);

        Microsoft.Win32.SafeHandles.SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new HugePageReport(length, huge, Populated: true, ReadAgain: false);   // moved or removed since mapped
        }
        using var handle = file;
        int descriptor = (int)file.DangerousGetHandle();
        _ = FlushData(descriptor);   // written pages still dirty (a file just downloaded) cannot be dropped
        byte* chunk = FirstChunk(start);
        Drop(descriptor, start, chunk, ChunkBytes);
        long without = PmdMappedBytes(start, length);
        _ = Madvise(chunk, (nuint)ChunkBytes, MadvisePopulateRead);
        long with = PmdMappedBytes(start, length);
        if (with - without < ChunkBytes)
            return new HugePageReport(length, with, Populated: true, ReadAgain: false);

        Drop(descriptor, start, start, length);
        _ = Madvise(start, bytes, MadvisePopulateRead);
        return new HugePageReport(length, PmdMappedBytes(start, length), Populated: true, ReadAgain: true);
    }

    /// <summary>Drops <paramref name="bytes"/> at <paramref name="from"/> from this mapping and from the page cache.</summary>
    private static void Drop(int descriptor, byte* start, byte* from, long bytes)
    {
        _ = Madvise(from, (nuint)bytes, MadviseDontNeed);
        _ = Fadvise(descriptor, from - start, bytes, FadviseDontNeed);
    }

    /// <summary>Bytes of the range that lie in whole 2 MiB chunks, the most that 2 MiB pages can cover.</summary>
    internal static long WholeChunkBytes(byte* start, long length)
    {
        long first = (long)FirstChunk(start), end = ((long)start + length) & ~(ChunkBytes - 1);
        return Math.Max(0, end - first);
    }

    private static byte* FirstChunk(byte* start) => (byte*)(((long)start + ChunkBytes - 1) & ~(ChunkBytes - 1));

    /// <summary>Bytes of the range this process maps with 2 MiB entries (FilePmdMapped of /proc/self/smaps); 0 where
    /// /proc cannot be read, which stops the steps above before anything is dropped.</summary>
    private static long PmdMappedBytes(byte* start, long length)
    {
        string smaps;
        try
        {
            smaps = File.ReadAllText("/proc/self/smaps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        return SmapsText.FilePmdMappedBytes(smaps, (ulong)start, (ulong)start + (ulong)length);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "fdatasync")]
    private static partial int FlushData(int descriptor);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(int descriptor, long offset, long length, int advice);
}
