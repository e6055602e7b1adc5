using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.F16;

/// <summary>
/// The F16 tile of <see cref="RowTripleMatMul"/> on CPUs without AVX-512: 3 weight rows x 4 tokens, both read in place
/// (no packing), 8 values of k per FMA. Per 8 values it widens 3 x 8 halves (<c>vcvtph2ps</c>, exact) and loads 4 x 8
/// floats for 12 FMAs, so it needs no pass over the weights before it starts, where the row panels of
/// <see cref="FloatMatMul"/> transpose every row first and the float panels convert them. Each (row, token) sum is
/// reduced across its lanes at the end, in the same order whichever of the 12 places it takes, so a row and token give
/// the same bits in every call.
/// <para>.NET 10 has no F16C intrinsics, so the loop is machine code: <c>F16cRowTripleTile.s</c> beside this file is its
/// source and <see cref="Code"/> its bytes (the kernel tests assemble the source and compare where binutils is
/// installed).</para>
/// </summary>
internal static unsafe class F16cRowTripleTile
{
    /// <summary>Weight rows per call.</summary>
    public const int Rows = 3;

    /// <summary>Tokens per call.</summary>
    public const int Tokens = 4;

    /// <summary>Values of k per step of the loop.</summary>
    public const int StepValues = 8;

    /// <summary>Offset of the entry that also requests the next triple's rows (<c>f16c_row_triple_tile_prefetch</c>).</summary>
    internal const int PrefetchEntry = 0x1a8;

    private static readonly byte* s_code = Avx2.IsSupported && Fma.IsSupported && IsaSupport.F16c ? ExecutableMemory.Place(Code) : null;

    /// <summary>Whether this process can run the tile: AVX2, FMA and F16C, and the code placed in executable memory.</summary>
    public static bool IsSupported => s_code != null;

    /// <summary>
    /// y[t * yStride + r] = Σ_i w_r[i] · x_t[i] over the first <paramref name="steps"/> · 8 values, for rows r &lt; 3 and
    /// tokens t &lt; 4: the tile transposes its sums and stores each token's three, so they land in a [token, row]
    /// output as they are. The call skips the GC transition of native calls: the loop calls nothing and reads and
    /// writes native memory (weights, the pass's activations and outputs).
    /// </summary>
    /// <param name="rows">row 0's halves; row r <paramref name="rowBytes"/> · r bytes on (0 reads one row three times)</param>
    /// <param name="x">token 0's activations; token t's <paramref name="xStride"/> · t floats on</param>
    /// <param name="steps">steps of 8 values, at least 1</param>
    /// <param name="y">token 0's three results; token t's <paramref name="yStride"/> · t floats on</param>
    /// <param name="prefetchNext">also request the next triple's rows (three rows on) at the offsets read, a hint</param>
    public static void Tile(ushort* rows, nint rowBytes, float* x, nint xStride, int steps, float* y, nint yStride, bool prefetchNext)
    {
        ExecutableMemory.ThrowIfNotPlaced(s_code, "vcvtph2ps");
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var tile = (delegate* unmanaged[SuppressGCTransition]<ushort*, nint, float*, nint, nint, float*, nint, void>)(s_code + (prefetchNext ? PrefetchEntry : 0));
        tile(rows, rowBytes, x, xStride * sizeof(float), steps, y, yStride * sizeof(float));
    }

    /// <summary>The scalar reference: the same sums in float, one product after another (the tile adds them in another
    /// order).</summary>
    public static void TileScalar(ushort* rows, nint rowBytes, float* x, nint xStride, int steps, float* y, nint yStride)
    {
        for (int r = 0; r < Rows; r++)
        {
            var row = (ushort*)((byte*)rows + r * rowBytes);
            for (int t = 0; t < Tokens; t++)
            {
                float sum = 0;
                for (int i = 0; i < steps * StepValues; i++)
                    sum += HalfBits.ToSingle(row[i]) * x[t * xStride + i];
                y[t * yStride + r] = sum;
            }
        }
    }

    /// <summary>The machine code of <c>F16cRowTripleTile.s</c> (System V calling convention), one instruction a line.</summary>
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
        0x4c, 0x8d, 0x14, 0x4a,                         // lea r10,[rdx+rcx*2]
        0x49, 0x01, 0xca,                               // add r10,rcx
        0x4c, 0x8d, 0x1c, 0x77,                         // lea r11,[rdi+rsi*2]
        0x48, 0x8d, 0x04, 0x76,                         // lea rax,[rsi+rsi*2]
        0x49, 0xf7, 0xc0, 0x01, 0x00, 0x00, 0x00,       // test r8,0x1
        0x74, 0x78,                                     // je 0xc4
        0xc4, 0x62, 0x7d, 0x13, 0x27,                   // vcvtph2ps ymm12,[rdi]
        0xc4, 0x62, 0x7d, 0x13, 0x2c, 0x37,             // vcvtph2ps ymm13,[rdi+rsi*1]
        0xc4, 0x42, 0x7d, 0x13, 0x33,                   // vcvtph2ps ymm14,[r11]
        0xc5, 0x7c, 0x10, 0x3a,                         // vmovups ymm15,[rdx]
        0xc4, 0xc2, 0x1d, 0xb8, 0xc7,                   // vfmadd231ps ymm0,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xe7,                   // vfmadd231ps ymm4,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xc7,                   // vfmadd231ps ymm8,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x0a,                   // vmovups ymm15,[rdx+rcx*1]
        0xc4, 0xc2, 0x1d, 0xb8, 0xcf,                   // vfmadd231ps ymm1,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xef,                   // vfmadd231ps ymm5,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xcf,                   // vfmadd231ps ymm9,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x4a,                   // vmovups ymm15,[rdx+rcx*2]
        0xc4, 0xc2, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm2,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xf7,                   // vfmadd231ps ymm6,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xd7,                   // vfmadd231ps ymm10,ymm14,ymm15
        0xc4, 0x41, 0x7c, 0x10, 0x3a,                   // vmovups ymm15,[r10]
        0xc4, 0xc2, 0x1d, 0xb8, 0xdf,                   // vfmadd231ps ymm3,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xff,                   // vfmadd231ps ymm7,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xdf,                   // vfmadd231ps ymm11,ymm14,ymm15
        0x48, 0x83, 0xc7, 0x10,                         // add rdi,0x10
        0x49, 0x83, 0xc3, 0x10,                         // add r11,0x10
        0x48, 0x83, 0xc2, 0x20,                         // add rdx,0x20
        0x49, 0x83, 0xc2, 0x20,                         // add r10,0x20
        0x49, 0xff, 0xc8,                               // dec r8
        0x0f, 0x84, 0xdf, 0x00, 0x00, 0x00,             // je 0x1a3
        0xc4, 0x62, 0x7d, 0x13, 0x27,                   // vcvtph2ps ymm12,[rdi]
        0xc4, 0x62, 0x7d, 0x13, 0x2c, 0x37,             // vcvtph2ps ymm13,[rdi+rsi*1]
        0xc4, 0x42, 0x7d, 0x13, 0x33,                   // vcvtph2ps ymm14,[r11]
        0xc5, 0x7c, 0x10, 0x3a,                         // vmovups ymm15,[rdx]
        0xc4, 0xc2, 0x1d, 0xb8, 0xc7,                   // vfmadd231ps ymm0,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xe7,                   // vfmadd231ps ymm4,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xc7,                   // vfmadd231ps ymm8,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x0a,                   // vmovups ymm15,[rdx+rcx*1]
        0xc4, 0xc2, 0x1d, 0xb8, 0xcf,                   // vfmadd231ps ymm1,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xef,                   // vfmadd231ps ymm5,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xcf,                   // vfmadd231ps ymm9,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x4a,                   // vmovups ymm15,[rdx+rcx*2]
        0xc4, 0xc2, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm2,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xf7,                   // vfmadd231ps ymm6,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xd7,                   // vfmadd231ps ymm10,ymm14,ymm15
        0xc4, 0x41, 0x7c, 0x10, 0x3a,                   // vmovups ymm15,[r10]
        0xc4, 0xc2, 0x1d, 0xb8, 0xdf,                   // vfmadd231ps ymm3,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xff,                   // vfmadd231ps ymm7,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xdf,                   // vfmadd231ps ymm11,ymm14,ymm15
        0xc4, 0x62, 0x7d, 0x13, 0x67, 0x10,             // vcvtph2ps ymm12,[rdi+0x10]
        0xc4, 0x62, 0x7d, 0x13, 0x6c, 0x37, 0x10,       // vcvtph2ps ymm13,[rdi+rsi*1+0x10]
        0xc4, 0x42, 0x7d, 0x13, 0x73, 0x10,             // vcvtph2ps ymm14,[r11+0x10]
        0xc5, 0x7c, 0x10, 0x7a, 0x20,                   // vmovups ymm15,[rdx+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xc7,                   // vfmadd231ps ymm0,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xe7,                   // vfmadd231ps ymm4,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xc7,                   // vfmadd231ps ymm8,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x7c, 0x0a, 0x20,             // vmovups ymm15,[rdx+rcx*1+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xcf,                   // vfmadd231ps ymm1,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xef,                   // vfmadd231ps ymm5,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xcf,                   // vfmadd231ps ymm9,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x7c, 0x4a, 0x20,             // vmovups ymm15,[rdx+rcx*2+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm2,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xf7,                   // vfmadd231ps ymm6,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xd7,                   // vfmadd231ps ymm10,ymm14,ymm15
        0xc4, 0x41, 0x7c, 0x10, 0x7a, 0x20,             // vmovups ymm15,[r10+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xdf,                   // vfmadd231ps ymm3,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xff,                   // vfmadd231ps ymm7,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xdf,                   // vfmadd231ps ymm11,ymm14,ymm15
        0x48, 0x83, 0xc7, 0x20,                         // add rdi,0x20
        0x49, 0x83, 0xc3, 0x20,                         // add r11,0x20
        0x48, 0x83, 0xc2, 0x40,                         // add rdx,0x40
        0x49, 0x83, 0xc2, 0x40,                         // add r10,0x40
        0x49, 0x83, 0xe8, 0x02,                         // sub r8,0x2
        0x0f, 0x85, 0x21, 0xff, 0xff, 0xff,             // jne 0xc4 (the loop)
        0xe9, 0xd9, 0x01, 0x00, 0x00,                   // jmp 0x381 (the sums)
        // f16c_row_triple_tile_prefetch (PrefetchEntry)
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
        0x4c, 0x8d, 0x14, 0x4a,                         // lea r10,[rdx+rcx*2]
        0x49, 0x01, 0xca,                               // add r10,rcx
        0x4c, 0x8d, 0x1c, 0x77,                         // lea r11,[rdi+rsi*2]
        0x48, 0x8d, 0x04, 0x76,                         // lea rax,[rsi+rsi*2]
        0x49, 0xf7, 0xc0, 0x01, 0x00, 0x00, 0x00,       // test r8,0x1
        0x0f, 0x84, 0x87, 0x00, 0x00, 0x00,             // je 0x27f
        0x41, 0x0f, 0x18, 0x0c, 0x33,                   // prefetcht0 [r11+rsi*1]
        0x41, 0x0f, 0x18, 0x0c, 0x73,                   // prefetcht0 [r11+rsi*2]
        0x41, 0x0f, 0x18, 0x0c, 0x03,                   // prefetcht0 [r11+rax*1]
        0xc4, 0x62, 0x7d, 0x13, 0x27,                   // vcvtph2ps ymm12,[rdi]
        0xc4, 0x62, 0x7d, 0x13, 0x2c, 0x37,             // vcvtph2ps ymm13,[rdi+rsi*1]
        0xc4, 0x42, 0x7d, 0x13, 0x33,                   // vcvtph2ps ymm14,[r11]
        0xc5, 0x7c, 0x10, 0x3a,                         // vmovups ymm15,[rdx]
        0xc4, 0xc2, 0x1d, 0xb8, 0xc7,                   // vfmadd231ps ymm0,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xe7,                   // vfmadd231ps ymm4,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xc7,                   // vfmadd231ps ymm8,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x0a,                   // vmovups ymm15,[rdx+rcx*1]
        0xc4, 0xc2, 0x1d, 0xb8, 0xcf,                   // vfmadd231ps ymm1,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xef,                   // vfmadd231ps ymm5,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xcf,                   // vfmadd231ps ymm9,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x4a,                   // vmovups ymm15,[rdx+rcx*2]
        0xc4, 0xc2, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm2,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xf7,                   // vfmadd231ps ymm6,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xd7,                   // vfmadd231ps ymm10,ymm14,ymm15
        0xc4, 0x41, 0x7c, 0x10, 0x3a,                   // vmovups ymm15,[r10]
        0xc4, 0xc2, 0x1d, 0xb8, 0xdf,                   // vfmadd231ps ymm3,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xff,                   // vfmadd231ps ymm7,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xdf,                   // vfmadd231ps ymm11,ymm14,ymm15
        0x48, 0x83, 0xc7, 0x10,                         // add rdi,0x10
        0x49, 0x83, 0xc3, 0x10,                         // add r11,0x10
        0x48, 0x83, 0xc2, 0x20,                         // add rdx,0x20
        0x49, 0x83, 0xc2, 0x20,                         // add r10,0x20
        0x49, 0xff, 0xc8,                               // dec r8
        0x0f, 0x84, 0x00, 0x01, 0x00, 0x00,             // je 0x37f
        0x41, 0x0f, 0x18, 0x0c, 0x33,                   // prefetcht0 [r11+rsi*1]
        0x41, 0x0f, 0x18, 0x0c, 0x73,                   // prefetcht0 [r11+rsi*2]
        0x41, 0x0f, 0x18, 0x0c, 0x03,                   // prefetcht0 [r11+rax*1]
        0xc4, 0x62, 0x7d, 0x13, 0x27,                   // vcvtph2ps ymm12,[rdi]
        0xc4, 0x62, 0x7d, 0x13, 0x2c, 0x37,             // vcvtph2ps ymm13,[rdi+rsi*1]
        0xc4, 0x42, 0x7d, 0x13, 0x33,                   // vcvtph2ps ymm14,[r11]
        0xc5, 0x7c, 0x10, 0x3a,                         // vmovups ymm15,[rdx]
        0xc4, 0xc2, 0x1d, 0xb8, 0xc7,                   // vfmadd231ps ymm0,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xe7,                   // vfmadd231ps ymm4,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xc7,                   // vfmadd231ps ymm8,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x0a,                   // vmovups ymm15,[rdx+rcx*1]
        0xc4, 0xc2, 0x1d, 0xb8, 0xcf,                   // vfmadd231ps ymm1,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xef,                   // vfmadd231ps ymm5,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xcf,                   // vfmadd231ps ymm9,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x3c, 0x4a,                   // vmovups ymm15,[rdx+rcx*2]
        0xc4, 0xc2, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm2,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xf7,                   // vfmadd231ps ymm6,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xd7,                   // vfmadd231ps ymm10,ymm14,ymm15
        0xc4, 0x41, 0x7c, 0x10, 0x3a,                   // vmovups ymm15,[r10]
        0xc4, 0xc2, 0x1d, 0xb8, 0xdf,                   // vfmadd231ps ymm3,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xff,                   // vfmadd231ps ymm7,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xdf,                   // vfmadd231ps ymm11,ymm14,ymm15
        0x41, 0x0f, 0x18, 0x4c, 0x33, 0x10,             // prefetcht0 [r11+rsi*1+0x10]
        0x41, 0x0f, 0x18, 0x4c, 0x73, 0x10,             // prefetcht0 [r11+rsi*2+0x10]
        0x41, 0x0f, 0x18, 0x4c, 0x03, 0x10,             // prefetcht0 [r11+rax*1+0x10]
        0xc4, 0x62, 0x7d, 0x13, 0x67, 0x10,             // vcvtph2ps ymm12,[rdi+0x10]
        0xc4, 0x62, 0x7d, 0x13, 0x6c, 0x37, 0x10,       // vcvtph2ps ymm13,[rdi+rsi*1+0x10]
        0xc4, 0x42, 0x7d, 0x13, 0x73, 0x10,             // vcvtph2ps ymm14,[r11+0x10]
        0xc5, 0x7c, 0x10, 0x7a, 0x20,                   // vmovups ymm15,[rdx+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xc7,                   // vfmadd231ps ymm0,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xe7,                   // vfmadd231ps ymm4,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xc7,                   // vfmadd231ps ymm8,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x7c, 0x0a, 0x20,             // vmovups ymm15,[rdx+rcx*1+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xcf,                   // vfmadd231ps ymm1,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xef,                   // vfmadd231ps ymm5,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xcf,                   // vfmadd231ps ymm9,ymm14,ymm15
        0xc5, 0x7c, 0x10, 0x7c, 0x4a, 0x20,             // vmovups ymm15,[rdx+rcx*2+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xd7,                   // vfmadd231ps ymm2,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xf7,                   // vfmadd231ps ymm6,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xd7,                   // vfmadd231ps ymm10,ymm14,ymm15
        0xc4, 0x41, 0x7c, 0x10, 0x7a, 0x20,             // vmovups ymm15,[r10+0x20]
        0xc4, 0xc2, 0x1d, 0xb8, 0xdf,                   // vfmadd231ps ymm3,ymm12,ymm15
        0xc4, 0xc2, 0x15, 0xb8, 0xff,                   // vfmadd231ps ymm7,ymm13,ymm15
        0xc4, 0x42, 0x0d, 0xb8, 0xdf,                   // vfmadd231ps ymm11,ymm14,ymm15
        0x48, 0x83, 0xc7, 0x20,                         // add rdi,0x20
        0x49, 0x83, 0xc3, 0x20,                         // add r11,0x20
        0x48, 0x83, 0xc2, 0x40,                         // add rdx,0x40
        0x49, 0x83, 0xc2, 0x40,                         // add r10,0x40
        0x49, 0x83, 0xe8, 0x02,                         // sub r8,0x2
        0x0f, 0x85, 0x00, 0xff, 0xff, 0xff,             // jne 0x27f (the loop)
        0xeb, 0x00,                                     // jmp 0x381 (the sums)
        // row_triple_sums
        0xc5, 0x7f, 0x7c, 0xe1,                         // vhaddps ymm12,ymm0,ymm1
        0xc5, 0x6f, 0x7c, 0xfb,                         // vhaddps ymm15,ymm2,ymm3
        0xc4, 0x41, 0x1f, 0x7c, 0xe7,                   // vhaddps ymm12,ymm12,ymm15
        0xc4, 0x43, 0x7d, 0x19, 0xe7, 0x01,             // vextractf128 xmm15,ymm12,0x1
        0xc4, 0x41, 0x18, 0x58, 0xe7,                   // vaddps xmm12,xmm12,xmm15
        0xc5, 0x5f, 0x7c, 0xed,                         // vhaddps ymm13,ymm4,ymm5
        0xc5, 0x4f, 0x7c, 0xff,                         // vhaddps ymm15,ymm6,ymm7
        0xc4, 0x41, 0x17, 0x7c, 0xef,                   // vhaddps ymm13,ymm13,ymm15
        0xc4, 0x43, 0x7d, 0x19, 0xef, 0x01,             // vextractf128 xmm15,ymm13,0x1
        0xc4, 0x41, 0x10, 0x58, 0xef,                   // vaddps xmm13,xmm13,xmm15
        0xc4, 0x41, 0x3f, 0x7c, 0xf1,                   // vhaddps ymm14,ymm8,ymm9
        0xc4, 0x41, 0x2f, 0x7c, 0xfb,                   // vhaddps ymm15,ymm10,ymm11
        0xc4, 0x41, 0x0f, 0x7c, 0xf7,                   // vhaddps ymm14,ymm14,ymm15
        0xc4, 0x43, 0x7d, 0x19, 0xf7, 0x01,             // vextractf128 xmm15,ymm14,0x1
        0xc4, 0x41, 0x08, 0x58, 0xf7,                   // vaddps xmm14,xmm14,xmm15
        0x48, 0x8b, 0x44, 0x24, 0x08,                   // mov rax,[rsp+0x8]
        0xc4, 0xc1, 0x18, 0x14, 0xd5,                   // vunpcklps xmm2,xmm12,xmm13
        0xc4, 0xc1, 0x18, 0x15, 0xdd,                   // vunpckhps xmm3,xmm12,xmm13
        0xc4, 0xc1, 0x08, 0x14, 0xf6,                   // vunpcklps xmm6,xmm14,xmm14
        0xc4, 0xc1, 0x08, 0x15, 0xfe,                   // vunpckhps xmm7,xmm14,xmm14
        0xc5, 0xe8, 0x16, 0xc6,                         // vmovlhps xmm0,xmm2,xmm6
        0xc5, 0xc8, 0x12, 0xca,                         // vmovhlps xmm1,xmm6,xmm2
        0xc5, 0xe0, 0x16, 0xe7,                         // vmovlhps xmm4,xmm3,xmm7
        0xc5, 0xc0, 0x12, 0xeb,                         // vmovhlps xmm5,xmm7,xmm3
        0xc4, 0xc1, 0x78, 0x13, 0x01,                   // vmovlps [r9],xmm0
        0xc4, 0xc3, 0x79, 0x17, 0x41, 0x08, 0x02,       // vextractps [r9+0x8],xmm0,0x2
        0x49, 0x01, 0xc1,                               // add r9,rax
        0xc4, 0xc1, 0x78, 0x13, 0x09,                   // vmovlps [r9],xmm1
        0xc4, 0xc3, 0x79, 0x17, 0x49, 0x08, 0x02,       // vextractps [r9+0x8],xmm1,0x2
        0x49, 0x01, 0xc1,                               // add r9,rax
        0xc4, 0xc1, 0x78, 0x13, 0x21,                   // vmovlps [r9],xmm4
        0xc4, 0xc3, 0x79, 0x17, 0x61, 0x08, 0x02,       // vextractps [r9+0x8],xmm4,0x2
        0x49, 0x01, 0xc1,                               // add r9,rax
        0xc4, 0xc1, 0x78, 0x13, 0x29,                   // vmovlps [r9],xmm5
        0xc4, 0xc3, 0x79, 0x17, 0x69, 0x08, 0x02,       // vextractps [r9+0x8],xmm5,0x2
        0x49, 0x01, 0xc1,                               // add r9,rax
        0xc5, 0xf8, 0x77,                               // vzeroupper
        0xc3,                                           // ret
    ];
}
