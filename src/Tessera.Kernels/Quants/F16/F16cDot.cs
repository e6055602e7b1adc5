using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;

namespace Tessera.Kernels.Quants.F16;

/// <summary>
/// F16 weight row · plain F32 activations for decode, with F16C's <c>vcvtph2ps</c>: one instruction converts eight
/// weights, where <see cref="F16SplitDot"/>'s integer form takes about 2.5 and leaves F16 decode short of the memory's
/// rate when the machine reads fast. .NET 10 exposes no F16C intrinsics, so the loop is machine code:
/// <c>F16cDot.s</c> beside this file is its source and <see cref="Code"/> its bytes (the kernel tests assemble the
/// source and compare where binutils is installed). 256-bit, so AVX2 CPUs (which all have F16C) run it too. Where the
/// CPU lacks F16C or FMA, or the system gives no executable pages, <see cref="IsSupported"/> is false and decode keeps
/// <see cref="F16SplitDot"/>.
/// </summary>
internal static unsafe class F16cDot
{
    /// <summary>Values per block of the loop.</summary>
    public const int BlockSize = 32;

    /// <summary>Offset of the four-token entry in <see cref="Code"/> (its symbol in the source).</summary>
    internal const int Dot4Entry = 0x78;

    private static readonly byte* s_code = Load();

    private static readonly delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, float> s_dot =
        (delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, float>)s_code;

    private static readonly delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, nint, float*, void> s_dot4 =
        s_code == null ? null : (delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, nint, float*, void>)(s_code + Dot4Entry);

    /// <summary>Whether this process can run the dot: AVX, FMA and F16C (CPUID leaf 1, ECX bit 29), and the code placed
    /// in executable memory.</summary>
    public static bool IsSupported => s_dot != null;

    private static byte* Load() =>
        Fma.IsSupported && IsaSupport.F16c ? ExecutableMemory.Place(Code) : null;

    /// <summary>The activations as they are: x[k] copied (the decode table's activation step).</summary>
    public static void Prepare(float* x, int k, byte* destination) =>
        new ReadOnlySpan<float>(x, k).CopyTo(new Span<float>(destination, k));

    /// <summary>Σ w[i] x[i] over <paramref name="k"/> values, a multiple of <see cref="BlockSize"/>. The call skips
    /// the GC transition of native calls: the loop calls nothing, never blocks, and reads native memory (the mapped
    /// weights, the pass's activation scratch).</summary>
    public static float Dot(byte* weights, byte* activations, int k) =>
        s_dot((ushort*)weights, (float*)activations, Blocks(k));

    /// <summary>One weight row against four tokens' activations <paramref name="stride"/> bytes apart (the matmul's
    /// <c>Dot4</c> contract): each weight is converted once for the four. <paramref name="k"/> as for
    /// <see cref="Dot"/>.</summary>
    public static void Dot4(byte* weights, byte* activations, nint stride, int k, float* results) =>
        s_dot4((ushort*)weights, (float*)activations, stride, 2 * Blocks(k), results);   // its loop takes 16 values a step

    /// <summary>The blocks of <paramref name="k"/> values both entries check for: the code placed, and k a positive
    /// multiple of <see cref="BlockSize"/>.</summary>
    private static int Blocks(int k)
    {
        ExecutableMemory.ThrowIfNotPlaced(s_code, "vcvtph2ps");
        if (k < BlockSize || k % BlockSize != 0)
            throw new ArgumentOutOfRangeException(nameof(k), k, "a positive multiple of 32");
        return k / BlockSize;
    }

    /// <summary>The machine code of <c>F16cDot.s</c> (System V calling convention), one instruction a line: the dot at
    /// 0, the four-token dot at <see cref="Dot4Entry"/>.</summary>
    internal static ReadOnlySpan<byte> Code =>
    [
        0xc5, 0xfc, 0x57, 0xc0,                         // vxorps ymm0,ymm0,ymm0
        0xc5, 0xf4, 0x57, 0xc9,                         // vxorps ymm1,ymm1,ymm1
        0xc5, 0xec, 0x57, 0xd2,                         // vxorps ymm2,ymm2,ymm2
        0xc5, 0xe4, 0x57, 0xdb,                         // vxorps ymm3,ymm3,ymm3
        0xc4, 0xe2, 0x7d, 0x13, 0x27,                   // vcvtph2ps ymm4,[rdi] (the loop)
        0xc4, 0xe2, 0x7d, 0x13, 0x6f, 0x10,             // vcvtph2ps ymm5,[rdi+0x10]
        0xc4, 0xe2, 0x7d, 0x13, 0x77, 0x20,             // vcvtph2ps ymm6,[rdi+0x20]
        0xc4, 0xe2, 0x7d, 0x13, 0x7f, 0x30,             // vcvtph2ps ymm7,[rdi+0x30]
        0xc4, 0xe2, 0x5d, 0xb8, 0x06,                   // vfmadd231ps ymm0,ymm4,[rsi]
        0xc4, 0xe2, 0x55, 0xb8, 0x4e, 0x20,             // vfmadd231ps ymm1,ymm5,[rsi+0x20]
        0xc4, 0xe2, 0x4d, 0xb8, 0x56, 0x40,             // vfmadd231ps ymm2,ymm6,[rsi+0x40]
        0xc4, 0xe2, 0x45, 0xb8, 0x5e, 0x60,             // vfmadd231ps ymm3,ymm7,[rsi+0x60]
        0x48, 0x83, 0xc7, 0x40,                         // add rdi,0x40
        0x48, 0x81, 0xc6, 0x80, 0x00, 0x00, 0x00,       // add rsi,0x80
        0x48, 0xff, 0xca,                               // dec rdx
        0x75, 0xc2,                                     // jne 0x10 (the loop)
        0xc5, 0xfc, 0x58, 0xc1,                         // vaddps ymm0,ymm0,ymm1
        0xc5, 0xec, 0x58, 0xd3,                         // vaddps ymm2,ymm2,ymm3
        0xc5, 0xfc, 0x58, 0xc2,                         // vaddps ymm0,ymm0,ymm2
        0xc4, 0xe3, 0x7d, 0x19, 0xc1, 0x01,             // vextractf128 xmm1,ymm0,0x1
        0xc5, 0xf8, 0x58, 0xc1,                         // vaddps xmm0,xmm0,xmm1
        0xc5, 0xf0, 0x12, 0xc8,                         // vmovhlps xmm1,xmm1,xmm0
        0xc5, 0xf8, 0x58, 0xc1,                         // vaddps xmm0,xmm0,xmm1
        0xc5, 0xfa, 0x16, 0xc8,                         // vmovshdup xmm1,xmm0
        0xc5, 0xfa, 0x58, 0xc1,                         // vaddss xmm0,xmm0,xmm1
        0xc5, 0xf8, 0x77,                               // vzeroupper
        0xc3,                                           // ret
        // f16c_dot4, at Dot4Entry
        0xc5, 0xfc, 0x57, 0xc0,                         // vxorps ymm0,ymm0,ymm0
        0xc5, 0xf4, 0x57, 0xc9,                         // vxorps ymm1,ymm1,ymm1
        0xc5, 0xec, 0x57, 0xd2,                         // vxorps ymm2,ymm2,ymm2
        0xc5, 0xe4, 0x57, 0xdb,                         // vxorps ymm3,ymm3,ymm3
        0xc5, 0xdc, 0x57, 0xe4,                         // vxorps ymm4,ymm4,ymm4
        0xc5, 0xd4, 0x57, 0xed,                         // vxorps ymm5,ymm5,ymm5
        0xc5, 0xcc, 0x57, 0xf6,                         // vxorps ymm6,ymm6,ymm6
        0xc5, 0xc4, 0x57, 0xff,                         // vxorps ymm7,ymm7,ymm7
        0x4c, 0x8d, 0x0c, 0x16,                         // lea r9,[rsi+rdx]
        0x4c, 0x8d, 0x14, 0x56,                         // lea r10,[rsi+rdx*2]
        0x4d, 0x8d, 0x1c, 0x51,                         // lea r11,[r9+rdx*2]
        0x0f, 0x18, 0x8f, 0x00, 0x08, 0x00, 0x00,       // prefetcht0 [rdi+0x800] (the loop)
        0xc4, 0x62, 0x7d, 0x13, 0x07,                   // vcvtph2ps ymm8,[rdi]
        0xc4, 0x62, 0x7d, 0x13, 0x4f, 0x10,             // vcvtph2ps ymm9,[rdi+0x10]
        0xc4, 0xe2, 0x3d, 0xb8, 0x06,                   // vfmadd231ps ymm0,ymm8,[rsi]
        0xc4, 0xe2, 0x35, 0xb8, 0x4e, 0x20,             // vfmadd231ps ymm1,ymm9,[rsi+0x20]
        0xc4, 0xc2, 0x3d, 0xb8, 0x11,                   // vfmadd231ps ymm2,ymm8,[r9]
        0xc4, 0xc2, 0x35, 0xb8, 0x59, 0x20,             // vfmadd231ps ymm3,ymm9,[r9+0x20]
        0xc4, 0xc2, 0x3d, 0xb8, 0x22,                   // vfmadd231ps ymm4,ymm8,[r10]
        0xc4, 0xc2, 0x35, 0xb8, 0x6a, 0x20,             // vfmadd231ps ymm5,ymm9,[r10+0x20]
        0xc4, 0xc2, 0x3d, 0xb8, 0x33,                   // vfmadd231ps ymm6,ymm8,[r11]
        0xc4, 0xc2, 0x35, 0xb8, 0x7b, 0x20,             // vfmadd231ps ymm7,ymm9,[r11+0x20]
        0x48, 0x83, 0xc7, 0x20,                         // add rdi,0x20
        0x48, 0x83, 0xc6, 0x40,                         // add rsi,0x40
        0x49, 0x83, 0xc1, 0x40,                         // add r9,0x40
        0x49, 0x83, 0xc2, 0x40,                         // add r10,0x40
        0x49, 0x83, 0xc3, 0x40,                         // add r11,0x40
        0x48, 0xff, 0xc9,                               // dec rcx
        0x75, 0xa9,                                     // jne 0xa4 (the loop)
        0xc5, 0xfc, 0x58, 0xc1,                         // vaddps ymm0,ymm0,ymm1
        0xc5, 0xec, 0x58, 0xd3,                         // vaddps ymm2,ymm2,ymm3
        0xc5, 0xdc, 0x58, 0xe5,                         // vaddps ymm4,ymm4,ymm5
        0xc5, 0xcc, 0x58, 0xf7,                         // vaddps ymm6,ymm6,ymm7
        0xc5, 0xff, 0x7c, 0xc2,                         // vhaddps ymm0,ymm0,ymm2
        0xc5, 0xdf, 0x7c, 0xe6,                         // vhaddps ymm4,ymm4,ymm6
        0xc5, 0xff, 0x7c, 0xc4,                         // vhaddps ymm0,ymm0,ymm4
        0xc4, 0xe3, 0x7d, 0x19, 0xc1, 0x01,             // vextractf128 xmm1,ymm0,0x1
        0xc5, 0xf8, 0x58, 0xc1,                         // vaddps xmm0,xmm0,xmm1
        0xc4, 0xc1, 0x78, 0x11, 0x00,                   // vmovups [r8],xmm0
        0xc5, 0xf8, 0x77,                               // vzeroupper
        0xc3,                                           // ret
    ];
}
