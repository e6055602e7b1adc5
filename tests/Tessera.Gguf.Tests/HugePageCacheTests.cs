using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Tessera.Gguf.Reading;
using Tessera.Testing;

namespace Tessera.Gguf.Tests;

/// <summary>
/// <see cref="GgufFile.PrefaultInHugePages"/>: a mapped model read in at once, in 2 MiB pages where the system allows,
/// without changing a byte; and the smaps reading it relies on.
/// </summary>
public sealed unsafe partial class HugePageCacheTests
{
    private const long Chunk = HugePageCache.ChunkBytes;

    [Fact]
    public void Smaps_sum_counts_only_the_mappings_that_overlap_the_range()
    {
        const string smaps = """
            7f0000000000-7f0000400000 r--s 00000000 fe:00 11 /models/a.gguf
            Size:               4096 kB
            FilePmdMapped:      4096 kB
            VmFlags: rd sh mr mw me ms hg
            7f0000400000-7f0000a00000 r--s 00400000 fe:00 11 /models/a.gguf
            Size:               6144 kB
            FilePmdMapped:      2048 kB
            7f0000a00000-7f0000c00000 r--p 00000000 fe:00 12 /lib/other.so
            FilePmdMapped:      2048 kB
            """;
        Assert.Equal(6144L * 1024, SmapsText.FilePmdMappedBytes(smaps, 0x7f0000000000, 0x7f0000a00000));
        Assert.Equal(2048L * 1024, SmapsText.FilePmdMappedBytes(smaps, 0x7f0000500000, 0x7f0000600000));
        Assert.Equal(4096L * 1024, SmapsText.FilePmdMappedBytes(smaps, 0x7f00003ff000, 0x7f0000400000));
        Assert.Equal(0, SmapsText.FilePmdMappedBytes(smaps, 0x7f0000c00000, 0x7f0001000000));
        Assert.Equal(0, SmapsText.FilePmdMappedBytes("", 0, ulong.MaxValue));
    }

    [Fact]
    public void Whole_chunks_are_the_2_MiB_aligned_pieces_inside_the_range()
    {
        Assert.Equal(2 * Chunk, HugePageCache.WholeChunkBytes((byte*)(4 * Chunk), 2 * Chunk));
        Assert.Equal(Chunk, HugePageCache.WholeChunkBytes((byte*)(4 * Chunk + 4096), 2 * Chunk));
        Assert.Equal(0, HugePageCache.WholeChunkBytes((byte*)(4 * Chunk + 4096), Chunk));
        Assert.Equal(0, HugePageCache.WholeChunkBytes((byte*)(4 * Chunk), Chunk - 1));
        Assert.Equal(3 * Chunk, HugePageCache.WholeChunkBytes((byte*)(4 * Chunk - 4096), 4 * Chunk));
    }

    [Fact]
    public void Prefaulted_model_keeps_every_byte_and_reports_its_size()
    {
        using var copy = new TempFile(".gguf");
        CopyInSmallWrites(SharedData.Model("syn-llama-Q8_0.gguf"), copy.Path);
        using var reference = GgufFile.Open(copy.Path, GgufLoadMode.Copy);
        using var mapped = GgufFile.Open(copy.Path, GgufLoadMode.Map);
        var report = mapped.PrefaultInHugePages();
        Assert.Equal(new FileInfo(copy.Path).Length, report.Bytes);
        Assert.Equal(OperatingSystem.IsLinux(), report.Populated);
        Assert.InRange(report.HugeBytes, 0, WholeChunks(mapped));
        foreach (var tensor in mapped.Tensors)
            Assert.True(mapped.GetData(tensor).SequenceEqual(reference.GetData(reference.GetTensor(tensor.Name))), $"{tensor.Name} differs");
    }

    [FileHugePagesFact]
    public void Model_cached_in_small_pages_is_read_again_once_into_2_MiB_pages()
    {
        using var copy = new TempFile(".gguf");
        CopyInSmallWrites(SharedData.Model("syn-llama-Q8_0.gguf"), copy.Path);
        using (var first = GgufFile.Open(copy.Path, GgufLoadMode.Map))
        {
            var report = first.PrefaultInHugePages();
            Assert.True(report.ReadAgain, "the pages the copy left in small folios were not read again");
            Assert.Equal(WholeChunks(first), report.HugeBytes);
        }
        using var second = GgufFile.Open(copy.Path, GgufLoadMode.Map);
        var again = second.PrefaultInHugePages();
        Assert.False(again.ReadAgain, "pages already in 2 MiB folios were read again");
        Assert.Equal(WholeChunks(second), again.HugeBytes);
    }

    [Fact]
    public void Model_larger_than_the_memory_allowed_and_copied_models_are_left_alone()
    {
        string path = SharedData.Model("syn-llama-Q8_0.gguf");
        using var mapped = GgufFile.Open(path, GgufLoadMode.Map);
        Assert.Equal(default, mapped.PrefaultInHugePages(memoryBytes: mapped.FileSize - 1));
        using var copied = GgufFile.Open(path, GgufLoadMode.Copy);
        Assert.Equal(default, copied.PrefaultInHugePages());
    }

    /// <summary>The 2 MiB-aligned bytes of the file's mapping.</summary>
    private static long WholeChunks(GgufFile file)
    {
        var first = file.Tensors[0];
        byte* start = file.GetDataPointer(first) - file.DataOffset - first.Offset;
        return HugePageCache.WholeChunkBytes(start, file.FileSize);
    }

    /// <summary>A copy written 4 KiB at a time, so the page cache holds it in small folios, left unflushed (as a file
    /// just downloaded is: its dirty pages must reach the disk before they can be dropped).</summary>
    private static void CopyInSmallWrites(string source, string destination)
    {
        byte[] bytes = File.ReadAllBytes(source);
        using var stream = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        for (int offset = 0; offset < bytes.Length; offset += 4096)
            stream.Write(bytes, offset, Math.Min(4096, bytes.Length - offset));
    }
}

/// <summary>
/// Runs a test only where Linux maps a file read under <c>MADV_HUGEPAGE</c> with 2 MiB entries (a filesystem with large
/// folios in the temp folder, transparent huge pages not off). Probed here with its own system calls, not with the
/// code under test: a fresh 4 MiB file, dropped from the cache, mapped, advised and read at a 2 MiB boundary.
/// </summary>
public sealed unsafe partial class FileHugePagesFactAttribute : FactAttribute
{
    private static readonly string? Missing = Probe();

    public FileHugePagesFactAttribute()
    {
        if (Missing is not null)
            Skip = Missing;
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
            return "2 MiB file pages are a Linux feature";
        using var temp = new TempFile(".bin");
        const int size = 4 << 20;
        using (var stream = new FileStream(temp.Path, FileMode.CreateNew))
        {
            stream.Write(new byte[size].Select((_, i) => (byte)i).ToArray());
            stream.Flush(flushToDisk: true);
            _ = Fadvise((int)stream.SafeFileHandle.DangerousGetHandle(), 0, 0, 4);   // POSIX_FADV_DONTNEED
        }
        using var map = MemoryMappedFile.CreateFromFile(temp.Path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        try
        {
            _ = Madvise(p, size, 14);   // MADV_HUGEPAGE
            byte* aligned = (byte*)(((long)p + (2 << 20) - 1) & ~((2L << 20) - 1));
            if (aligned + (2 << 20) > p + size)
                return "the system placed the mapping off a 2 MiB boundary";
            _ = System.Threading.Volatile.Read(ref *aligned);
            string header = ((long)p).ToString("x") + "-";
            var match = Regex.Match(File.ReadAllText("/proc/self/smaps"), "^" + header + @"[^\n]*\n(?:[^\n]*\n)*?FilePmdMapped:\s+(\d+) kB", RegexOptions.Multiline);
            return match.Success && long.Parse(match.Groups[1].Value) > 0
                ? null
                : $"this system does not map files in {Path.GetDirectoryName(temp.Path)} with 2 MiB pages (large folios or transparent huge pages missing)";
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(int descriptor, long offset, long length, int advice);
}
