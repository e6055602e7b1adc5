using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;

namespace Tessera.Kernels.Quants.BF16;

/// <summary>
/// The prompt tile for BF16 weights on CPUs with AVX512-BF16 (Zen 4 and later, Intel since Cooper Lake): 8 weight
/// rows x 32 tokens with <c>vdpbf16ps</c>, which adds two BF16 products per float lane per instruction, twice the
/// products of an FMA. The activations are rounded to BF16 for it (<see cref="BF16PairPanel"/>), as llama.cpp's BF16
/// path does; each product of two BF16 values is exact in float, so only that rounding and the float sums remain.
/// <para>.NET 10 exposes no AVX512-BF16 intrinsics, so this one loop is machine code: <c>BF16PairTile.s</c> beside
/// this file is its source, and <see cref="Code"/> the bytes it assembles to (the kernel tests assemble the source
/// and compare where binutils is installed). Where the CPU lacks the instruction or the system gives no executable
/// pages, <see cref="IsSupported"/> is false and BF16 prompts keep the float tile.</para>
/// </summary>
internal static unsafe class BF16PairTile
{
    /// <summary>Weight rows per tile.</summary>
    public const int Rows = 8;

    /// <summary>Tokens per panel.</summary>
    public const int Width = 32;

    private static readonly delegate* unmanaged[SuppressGCTransition]<ushort*, nint, uint*, nint, float*, void> s_tile = Load();

    /// <summary>Whether this process can run the tile: AVX-512 on in the runtime, AVX512-BF16 in the CPU, and the
    /// code placed in executable memory.</summary>
    public static bool IsSupported => s_tile != null;

    /// <summary>Whether the CPU reports AVX512-BF16 (CPUID leaf 7, sub-leaf 1, EAX bit 5).</summary>
    public static bool CpuHasAvx512Bf16 => X86Base.IsSupported && (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;

    private static delegate* unmanaged[SuppressGCTransition]<ushort*, nint, uint*, nint, float*, void> Load() =>
        IsaSupport.Avx512 && CpuHasAvx512Bf16
            ? (delegate* unmanaged[SuppressGCTransition]<ushort*, nint, uint*, nint, float*, void>)ExecutableMemory.Place(Code)
            : null;

    /// <summary>c[r * 32 + t] = Σ_i w_r[i] · x_t[i] over the <paramref name="pairs"/> pairs of k, for r &lt; 8, t &lt; 32.
    /// The call skips the GC transition of native calls (SuppressGCTransition): the loop runs for microseconds, calls
    /// nothing and never blocks, and the memory it reads is native or pinned.</summary>
    /// <param name="weights">row 0 of 8 BF16 rows of at least 2 · pairs values, <paramref name="rowBytes"/> apart</param>
    /// <param name="panel">[pairs][32] BF16 pairs (<see cref="BF16PairPanel"/>)</param>
    /// <param name="pairs">at least 1</param>
    /// <param name="c">[8][32] results</param>
    public static void Tile(ushort* weights, nint rowBytes, uint* panel, int pairs, float* c)
    {
        ExecutableMemory.ThrowIfNotPlaced(s_tile, "vdpbf16ps");
        if (pairs < 1)
            throw new ArgumentOutOfRangeException(nameof(pairs), pairs, "at least one pair of k");
        s_tile(weights, rowBytes, panel, pairs, c);
    }

    /// <summary>The scalar reference: what <c>vdpbf16ps</c> computes per lane, the odd product added first, then the
    /// even one (each exact in float), except that the instruction also flushes subnormal inputs and results to
    /// zero.</summary>
    public static void TileScalar(ushort* weights, nint rowBytes, uint* panel, int pairs, float* c)
    {
        for (int r = 0; r < Rows; r++)
        {
            var row = (ushort*)((byte*)weights + r * rowBytes);
            for (int t = 0; t < Width; t++)
            {
                float sum = 0;
                for (int i = 0; i < pairs; i++)
                {
                    uint pair = panel[i * Width + t];
                    sum += Tensors.Quants.BF16.ToSingle(row[2 * i + 1]) * Tensors.Quants.BF16.ToSingle((ushort)(pair >> 16));
                    sum += Tensors.Quants.BF16.ToSingle(row[2 * i]) * Tensors.Quants.BF16.ToSingle((ushort)pair);
                }
                c[r * Width + t] = sum;
            }
        }
    }

    /// <summary>The machine code of <c>BF16PairTile.s</c> (System V calling convention), one instruction a line.</summary>
    internal static ReadOnlySpan<byte> Code =>
    [
        0x48, 0x8d, 0x04, 0x76,                         // lea rax,[rsi+rsi*2]
        0x4c, 0x8d, 0x14, 0xb7,                         // lea r10,[rdi+rsi*4]
        0x62, 0xa1, 0x7d, 0x40, 0xef, 0xc0,             // vpxord zmm16,zmm16,zmm16
        0x62, 0xa1, 0x75, 0x40, 0xef, 0xc9,             // vpxord zmm17,zmm17,zmm17
        0x62, 0xa1, 0x6d, 0x40, 0xef, 0xd2,             // vpxord zmm18,zmm18,zmm18
        0x62, 0xa1, 0x65, 0x40, 0xef, 0xdb,             // vpxord zmm19,zmm19,zmm19
        0x62, 0xa1, 0x5d, 0x40, 0xef, 0xe4,             // vpxord zmm20,zmm20,zmm20
        0x62, 0xa1, 0x55, 0x40, 0xef, 0xed,             // vpxord zmm21,zmm21,zmm21
        0x62, 0xa1, 0x4d, 0x40, 0xef, 0xf6,             // vpxord zmm22,zmm22,zmm22
        0x62, 0xa1, 0x45, 0x40, 0xef, 0xff,             // vpxord zmm23,zmm23,zmm23
        0x62, 0x01, 0x3d, 0x40, 0xef, 0xc0,             // vpxord zmm24,zmm24,zmm24
        0x62, 0x01, 0x35, 0x40, 0xef, 0xc9,             // vpxord zmm25,zmm25,zmm25
        0x62, 0x01, 0x2d, 0x40, 0xef, 0xd2,             // vpxord zmm26,zmm26,zmm26
        0x62, 0x01, 0x25, 0x40, 0xef, 0xdb,             // vpxord zmm27,zmm27,zmm27
        0x62, 0x01, 0x1d, 0x40, 0xef, 0xe4,             // vpxord zmm28,zmm28,zmm28
        0x62, 0x01, 0x15, 0x40, 0xef, 0xed,             // vpxord zmm29,zmm29,zmm29
        0x62, 0x01, 0x0d, 0x40, 0xef, 0xf6,             // vpxord zmm30,zmm30,zmm30
        0x62, 0x01, 0x05, 0x40, 0xef, 0xff,             // vpxord zmm31,zmm31,zmm31
        0x62, 0xf1, 0x7c, 0x48, 0x10, 0x02,             // vmovups zmm0,[rdx]
        0x62, 0xf1, 0x7c, 0x48, 0x10, 0x4a, 0x01,       // vmovups zmm1,[rdx+0x40]
        0x62, 0xe2, 0x7e, 0x58, 0x52, 0x07,             // vdpbf16ps zmm16,zmm0,[rdi]{1to16}
        0x62, 0xe2, 0x76, 0x58, 0x52, 0x0f,             // vdpbf16ps zmm17,zmm1,[rdi]{1to16}
        0x62, 0xe2, 0x7e, 0x58, 0x52, 0x14, 0x37,       // vdpbf16ps zmm18,zmm0,[rdi+rsi*1]{1to16}
        0x62, 0xe2, 0x76, 0x58, 0x52, 0x1c, 0x37,       // vdpbf16ps zmm19,zmm1,[rdi+rsi*1]{1to16}
        0x62, 0xe2, 0x7e, 0x58, 0x52, 0x24, 0x77,       // vdpbf16ps zmm20,zmm0,[rdi+rsi*2]{1to16}
        0x62, 0xe2, 0x76, 0x58, 0x52, 0x2c, 0x77,       // vdpbf16ps zmm21,zmm1,[rdi+rsi*2]{1to16}
        0x62, 0xe2, 0x7e, 0x58, 0x52, 0x34, 0x07,       // vdpbf16ps zmm22,zmm0,[rdi+rax*1]{1to16}
        0x62, 0xe2, 0x76, 0x58, 0x52, 0x3c, 0x07,       // vdpbf16ps zmm23,zmm1,[rdi+rax*1]{1to16}
        0x62, 0x42, 0x7e, 0x58, 0x52, 0x02,             // vdpbf16ps zmm24,zmm0,[r10]{1to16}
        0x62, 0x42, 0x76, 0x58, 0x52, 0x0a,             // vdpbf16ps zmm25,zmm1,[r10]{1to16}
        0x62, 0x42, 0x7e, 0x58, 0x52, 0x14, 0x32,       // vdpbf16ps zmm26,zmm0,[r10+rsi*1]{1to16}
        0x62, 0x42, 0x76, 0x58, 0x52, 0x1c, 0x32,       // vdpbf16ps zmm27,zmm1,[r10+rsi*1]{1to16}
        0x62, 0x42, 0x7e, 0x58, 0x52, 0x24, 0x72,       // vdpbf16ps zmm28,zmm0,[r10+rsi*2]{1to16}
        0x62, 0x42, 0x76, 0x58, 0x52, 0x2c, 0x72,       // vdpbf16ps zmm29,zmm1,[r10+rsi*2]{1to16}
        0x62, 0x42, 0x7e, 0x58, 0x52, 0x34, 0x02,       // vdpbf16ps zmm30,zmm0,[r10+rax*1]{1to16}
        0x62, 0x42, 0x76, 0x58, 0x52, 0x3c, 0x02,       // vdpbf16ps zmm31,zmm1,[r10+rax*1]{1to16}
        0x48, 0x83, 0xc7, 0x04,                         // add rdi,0x4
        0x49, 0x83, 0xc2, 0x04,                         // add r10,0x4
        0x48, 0x83, 0xea, 0x80,                         // sub rdx,0xffffffffffffff80
        0x48, 0xff, 0xc9,                               // dec rcx
        0x0f, 0x85, 0x72, 0xff, 0xff, 0xff,             // jne 68 (the loop)
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x00,             // vmovups [r8],zmm16
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x48, 0x01,       // vmovups [r8+0x40],zmm17
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x50, 0x02,       // vmovups [r8+0x80],zmm18
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x58, 0x03,       // vmovups [r8+0xc0],zmm19
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x60, 0x04,       // vmovups [r8+0x100],zmm20
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x68, 0x05,       // vmovups [r8+0x140],zmm21
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x70, 0x06,       // vmovups [r8+0x180],zmm22
        0x62, 0xc1, 0x7c, 0x48, 0x11, 0x78, 0x07,       // vmovups [r8+0x1c0],zmm23
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x40, 0x08,       // vmovups [r8+0x200],zmm24
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x48, 0x09,       // vmovups [r8+0x240],zmm25
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x50, 0x0a,       // vmovups [r8+0x280],zmm26
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x58, 0x0b,       // vmovups [r8+0x2c0],zmm27
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x60, 0x0c,       // vmovups [r8+0x300],zmm28
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x68, 0x0d,       // vmovups [r8+0x340],zmm29
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x70, 0x0e,       // vmovups [r8+0x380],zmm30
        0x62, 0x41, 0x7c, 0x48, 0x11, 0x78, 0x0f,       // vmovups [r8+0x3c0],zmm31
        0xc5, 0xf8, 0x77,                               // vzeroupper
        0xc3,                                           // ret
    ];
}
