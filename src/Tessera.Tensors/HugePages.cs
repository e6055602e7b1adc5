using System.Runtime.InteropServices;

namespace Tessera.Tensors;

/// <summary>
/// Memory for large arrays that kernels stream through (a model read into memory, the KV cache): aligned to 2 MiB and,
/// on Linux, advised into 2 MiB pages (<c>MADV_HUGEPAGE</c>), so a walk over it misses the TLB once per 2 MiB instead
/// of once per 4 KiB. Advice only: where the kernel gives no huge pages the memory works the same at 4 KiB pages.
/// </summary>
public static unsafe partial class HugePages
{
    public const nuint Size = 2 << 20;

    private const int MadviseHugePage = 14;   // MADV_HUGEPAGE

    /// <summary>At least <paramref name="bytes"/> bytes, 2 MiB aligned and not cleared; release with <see cref="Free"/>.</summary>
    public static byte* Allocate(nuint bytes)
    {
        nuint rounded = (bytes + Size - 1) & ~(Size - 1);
        var memory = (byte*)NativeMemory.AlignedAlloc(rounded, Size);
        if (OperatingSystem.IsLinux())
            _ = Madvise(memory, rounded, MadviseHugePage);
        return memory;
    }

    public static void Free(byte* memory) => NativeMemory.AlignedFree(memory);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
