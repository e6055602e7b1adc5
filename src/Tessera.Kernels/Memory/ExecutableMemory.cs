using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tessera.Kernels.Memory;

/// <summary>
/// Pages for machine code the JIT cannot emit (an instruction .NET exposes no intrinsic for): the code is copied into
/// fresh anonymous pages, which are then made read + execute, so they are never writable and executable at once.
/// Linux on x86-64 only; elsewhere, or where the system refuses executable pages, there is no code and the caller
/// keeps its managed path.
/// </summary>
internal static unsafe partial class ExecutableMemory
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;

    /// <summary>The code's address once executable, or null where that is not possible here. The pages stay mapped
    /// for the life of the process.</summary>
    public static byte* Place(ReadOnlySpan<byte> code)
    {
        if (code.IsEmpty || !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return null;
        nuint page = (nuint)Environment.SystemPageSize;
        nuint length = ((nuint)code.Length + page - 1) / page * page;
        void* pages = Mmap(null, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (pages == (void*)-1)
            return null;
        code.CopyTo(new Span<byte>(pages, code.Length));
        if (Mprotect(pages, length, ProtRead | ProtExec) != 0)
        {
            _ = Munmap(pages, length);
            return null;
        }
        return (byte*)pages;
    }

    /// <summary>Throws where <see cref="Place"/> gave no code (the kernel's IsSupported is false), naming the
    /// <paramref name="instruction"/> that cannot run; inlined into the callers, the throw kept out of line.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ThrowIfNotPlaced(void* code, string instruction)
    {
        if (code == null)
            ThrowNotPlaced(instruction);
    }

    [DoesNotReturn]
    private static void ThrowNotPlaced(string instruction) =>
        throw new PlatformNotSupportedException($"{instruction} does not run here (IsSupported is false)");

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);
}
