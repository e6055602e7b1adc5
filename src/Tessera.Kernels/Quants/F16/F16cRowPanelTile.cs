using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;

namespace Tessera.Kernels.Quants.F16;

/// <summary>
/// The F16 register tile of <see cref="FloatMatMul"/> on CPUs without AVX-512: 16 weight rows x 6 tokens, with the
/// roles of <see cref="FloatPanelKernel"/>'s 4 x 24 tile swapped. The weights are the vector operand, kept as halves in
/// a row panel ([k][16], <see cref="RowPanel.Pack"/>) and widened by <c>vcvtph2ps</c> as they are used; each token's activation
/// is broadcast from its own row of x, exact and unpacked. Per value of k the tile streams 32 bytes of halves and 24 of
/// activations where the 4 x 24 tile streams a 96-byte float panel and 16 bytes of converted rows, and its twelve
/// accumulators hold eight rows of one token each, which store into y's [token][row] layout as they are.
/// <para>Each sum is the FMA chain over k in order, as in the 4 x 24 tile, so the two give the same bits. .NET 10 has
/// no F16C intrinsics, so the loop is machine code: <c>F16cRowPanelTile.s</c> beside this file is its source and
/// <see cref="Code"/> its bytes (the kernel tests assemble the source and compare where binutils is installed).</para>
/// </summary>
internal static unsafe class F16cRowPanelTile
{
    /// <summary>The row panel's slot order this tile reads (<see cref="RowPanel.Pack"/>): rows in order, since
    /// <c>vcvtph2ps</c> widens slots 0-7 and 8-15 as they lie.</summary>
    public const bool PairedSlots = false;

    private static readonly delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, nint, float*, nint, void> s_tile =
        (delegate* unmanaged[SuppressGCTransition]<ushort*, float*, nint, nint, float*, nint, void>)Load();

    /// <summary>Whether this process can run the tile: AVX2, FMA and F16C, and the code placed in executable memory.</summary>
    public static bool IsSupported => s_tile != null;

    private static byte* Load() =>
        Avx2.IsSupported && Fma.IsSupported && IsaSupport.F16c ? ExecutableMemory.Place(Code) : null;

    /// <summary>
    /// c[t * cStride + r] = Σ_i panel[i * 16 + r] · x[t * xStride + i] for the 16 rows of a row panel and 6 tokens. The
    /// call skips the GC transition of native calls: the loop calls nothing and reads native memory (the pass's scratch
    /// and activations).
    /// </summary>
    /// <param name="panel">a row panel of <paramref name="k"/> values (<see cref="RowPanel.Pack"/>, slots in row order)</param>
    /// <param name="x">token 0's k activations; token t's <paramref name="xStride"/> floats on</param>
    /// <param name="c">token 0's 16 results; token t's <paramref name="cStride"/> floats on</param>
    public static void Tile(ushort* panel, int k, float* x, nint xStride, float* c, nint cStride)
    {
        ExecutableMemory.ThrowIfNotPlaced((byte*)s_tile, "vcvtph2ps");
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        s_tile(panel, x, xStride * sizeof(float), k, c, cStride * sizeof(float));
    }

    /// <summary>The machine code of <c>F16cRowPanelTile.s</c> (System V calling convention), one instruction a line.</summary>
    internal static ReadOnlySpan<byte> Code =>
    [
        0xc5, 0xfc, 0x57, 0xc0,                         // vxorps ymm0,ymm0,ymm0
        0xc5, 0xf4, 0x57, 0xc9,                         // vxorps ymm1,ymm1,ymm1
        0xc5, 0xec, 0x57, 0xd2,                         // vxorps ymm2,ymm2,ymm2
        0xc5, 0xe4, 0x57, 0xdb,                         // vxorps ymm3,ymm3,ymm3
        0xc5, 0xdc, 0x57, 0xe4,                         // vxorps ymm4,ymm4,ymm4
        0xc5, 0xd4, 0x57, 0xed,                         // vxorps ymm5,ymm5,ymm5
        0xc5, 0xcc, 0x57, 0xf6,                         // vxorps ymm6,ymm6,ymm6
        0xc5, 0xc4, 0x57, 0xff,                         // vxorps ymm7,ymm7,ymm7
        0xc4, 0x41, 0x3c, 0x57, 0xc0,                   // vxorps ymm8,ymm8,ymm8
        0xc4, 0x41, 0x34, 0x57, 0xc9,                   // vxorps ymm9,ymm9,ymm9
        0xc4, 0x41, 0x2c, 0x57, 0xd2,                   // vxorps ymm10,ymm10,ymm10
        0xc4, 0x41, 0x24, 0x57, 0xdb,                   // vxorps ymm11,ymm11,ymm11
        0x4c, 0x8d, 0x14, 0x52,                         // lea r10,[rdx+rdx*2]
        0x49, 0x01, 0xf2,                               // add r10,rsi
        0xc4, 0x62, 0x7d, 0x13, 0x27,                   // vcvtph2ps ymm12,[rdi] (the loop)
        0xc4, 0x62, 0x7d, 0x13, 0x6f, 0x10,             // vcvtph2ps ymm13,[rdi+0x10]
        0xc4, 0x62, 0x7d, 0x18, 0x36,                   // vbroadcastss ymm14,[rsi]
        0xc4, 0xc2, 0x1d, 0xb8, 0xc6,                   // vfmadd231ps ymm0,ymm12,ymm14
        0xc4, 0xc2, 0x15, 0xb8, 0xce,                   // vfmadd231ps ymm1,ymm13,ymm14
        0xc4, 0x62, 0x7d, 0x18, 0x3c, 0x16,             // vbroadcastss ymm15,[rsi+rdx]
        0xc4, 0xc2, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm2,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xdf,                   // vfmadd231ps ymm3,ymm13,ymm15
        0xc4, 0x62, 0x7d, 0x18, 0x34, 0x56,             // vbroadcastss ymm14,[rsi+rdx*2]
        0xc4, 0xc2, 0x1d, 0xb8, 0xe6,                   // vfmadd231ps ymm4,ymm12,ymm14
        0xc4, 0xc2, 0x15, 0xb8, 0xee,                   // vfmadd231ps ymm5,ymm13,ymm14
        0xc4, 0x42, 0x7d, 0x18, 0x3a,                   // vbroadcastss ymm15,[r10]
        0xc4, 0xc2, 0x1d, 0xb8, 0xf7,                   // vfmadd231ps ymm6,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xff,                   // vfmadd231ps ymm7,ymm13,ymm15
        0xc4, 0x42, 0x7d, 0x18, 0x34, 0x12,             // vbroadcastss ymm14,[r10+rdx]
        0xc4, 0x42, 0x1d, 0xb8, 0xc6,                   // vfmadd231ps ymm8,ymm12,ymm14
        0xc4, 0x42, 0x15, 0xb8, 0xce,                   // vfmadd231ps ymm9,ymm13,ymm14
        0xc4, 0x42, 0x7d, 0x18, 0x3c, 0x52,             // vbroadcastss ymm15,[r10+rdx*2]
        0xc4, 0x42, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm10,ymm12,ymm15
        0xc4, 0x42, 0x15, 0xb8, 0xdf,                   // vfmadd231ps ymm11,ymm13,ymm15
        0x48, 0x83, 0xc7, 0x20,                         // add rdi,0x20
        0x48, 0x83, 0xc6, 0x04,                         // add rsi,0x4
        0x49, 0x83, 0xc2, 0x04,                         // add r10,0x4
        0x48, 0xff, 0xc9,                               // dec rcx
        0x75, 0x86,                                     // jne 0x3b (the loop)
        0xc4, 0xc1, 0x7c, 0x11, 0x00,                   // vmovups [r8],ymm0
        0xc4, 0xc1, 0x7c, 0x11, 0x48, 0x20,             // vmovups [r8+0x20],ymm1
        0x4d, 0x01, 0xc8,                               // add r8,r9
        0xc4, 0xc1, 0x7c, 0x11, 0x10,                   // vmovups [r8],ymm2
        0xc4, 0xc1, 0x7c, 0x11, 0x58, 0x20,             // vmovups [r8+0x20],ymm3
        0x4d, 0x01, 0xc8,                               // add r8,r9
        0xc4, 0xc1, 0x7c, 0x11, 0x20,                   // vmovups [r8],ymm4
        0xc4, 0xc1, 0x7c, 0x11, 0x68, 0x20,             // vmovups [r8+0x20],ymm5
        0x4d, 0x01, 0xc8,                               // add r8,r9
        0xc4, 0xc1, 0x7c, 0x11, 0x30,                   // vmovups [r8],ymm6
        0xc4, 0xc1, 0x7c, 0x11, 0x78, 0x20,             // vmovups [r8+0x20],ymm7
        0x4d, 0x01, 0xc8,                               // add r8,r9
        0xc4, 0x41, 0x7c, 0x11, 0x00,                   // vmovups [r8],ymm8
        0xc4, 0x41, 0x7c, 0x11, 0x48, 0x20,             // vmovups [r8+0x20],ymm9
        0x4d, 0x01, 0xc8,                               // add r8,r9
        0xc4, 0x41, 0x7c, 0x11, 0x10,                   // vmovups [r8],ymm10
        0xc4, 0x41, 0x7c, 0x11, 0x58, 0x20,             // vmovups [r8+0x20],ymm11
        0xc5, 0xf8, 0x77,                               // vzeroupper
        0xc3,                                           // ret
    ];
}
