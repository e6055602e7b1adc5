using Tessera.Kernels.Memory;
using Tessera.Kernels.Quants;

namespace Tessera.Kernels.Numerics;

/// <summary>
/// Halves to floats with F16C's <c>vcvtph2ps</c>, one instruction per eight values, where the integer form of
/// <see cref="HalfBits"/> takes four or five: the float matmul converts every F16 weight of a prompt's pass (4% of an
/// F16 prompt on AVX2 before), and attention converts F16 KV rows. .NET 10 exposes no F16C intrinsics, so the loop is
/// machine code: <c>F16cConversion.s</c> beside this file is its source and <see cref="Code"/> its bytes (the kernel
/// tests assemble the source and compare where binutils is installed). Where the CPU lacks F16C or the system gives
/// no executable pages, <see cref="IsSupported"/> is false and <see cref="HalfBits"/> keeps its own form.
/// </summary>
internal static unsafe class F16cConversion
{
    /// <summary>Values per block of the loop.</summary>
    public const int Block = 16;

    private static readonly delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, void> s_convert = Load();

    /// <summary>Whether this process can run the conversion: AVX and F16C (CPUID leaf 1, ECX bit 29), and the code
    /// placed in executable memory.</summary>
    public static bool IsSupported => s_convert != null;

    private static delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, void> Load() =>
        IsaSupport.F16c
            ? (delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, void>)ExecutableMemory.Place(Code)
            : null;

    /// <summary>Converts <paramref name="blocks"/> x 16 halves at <paramref name="source"/> to floats at
    /// <paramref name="destination"/>, exactly (subnormals and infinities too; a signalling NaN comes out quiet). The
    /// call skips the GC transition of native calls: the loop calls nothing, never blocks, and reads native or pinned
    /// memory.</summary>
    public static void Convert(ushort* source, float* destination, int blocks)
    {
        ExecutableMemory.ThrowIfNotPlaced(s_convert, "vcvtph2ps");
        if (blocks < 1)
            throw new ArgumentOutOfRangeException(nameof(blocks), blocks, "at least one block of 16");
        s_convert(source, destination, blocks);
    }

    /// <summary>The machine code of <c>F16cConversion.s</c> (System V calling convention), one instruction a line.</summary>
    internal static ReadOnlySpan<byte> Code =>
    [
        0xc4, 0xe2, 0x7d, 0x13, 0x07,                   // vcvtph2ps ymm0,[rdi]
        0xc4, 0xe2, 0x7d, 0x13, 0x4f, 0x10,             // vcvtph2ps ymm1,[rdi+0x10]
        0xc5, 0xfc, 0x11, 0x06,                         // vmovups [rsi],ymm0
        0xc5, 0xfc, 0x11, 0x4e, 0x20,                   // vmovups [rsi+0x20],ymm1
        0x48, 0x83, 0xc7, 0x20,                         // add rdi,0x20
        0x48, 0x83, 0xc6, 0x40,                         // add rsi,0x40
        0x48, 0xff, 0xca,                               // dec rdx
        0x75, 0xdf,                                     // jne 0 (the loop)
        0xc5, 0xf8, 0x77,                               // vzeroupper
        0xc3,                                           // ret
    ];
}
