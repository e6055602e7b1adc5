using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants;

/// <summary>
/// The matrix-matrix micro-kernel for weight types that decode to int8 blocks with one half scale (see
/// <see cref="IInt8Blocks"/>) against Q8_0 activations: 4 weight rows x 4 tokens per call, 16 accumulators.
/// Each weight block is decoded once and used for four tokens, each activation block is loaded once and used for
/// four rows, and the scales are applied as (int sum * d_token) * d_row with broadcasts shared along a row or
/// column: about six instructions per 32 multiply-adds instead of ten for a single dot product.
/// Needs AVX2. With AVX-512 the JIT has 32 vector registers for the 16 accumulators; vpsignb has no EVEX form,
/// though, so some operands are copied to the low 16 registers (which is why Q4_0 has a 512-bit tile of its own).
/// With 16 registers the tile runs as two passes of two rows.
/// </summary>
internal static unsafe class Int8TileKernel<TBlocks> where TBlocks : IInt8Blocks
{
    public const int Rows = 4;
    public const int Tokens = 4;

    /// <summary>y[t * yStride + r] = row r · token t for r, t in 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        if (Avx512F.IsSupported)
        {
            FourRows(weights, weightStride, activations, activationStride, k, y, yStride);
        }
        else
        {
            // 16 ymm registers only (an AVX2 CPU, or AVX-512 turned off): the 4x4 tile's 16 accumulators plus the
            // decoded rows would spill on every block, so the tile runs as two passes of 2 rows x 4 tokens.
            TwoRows(weights, weightStride, activations, activationStride, k, y, yStride);
            TwoRows(weights + 2 * weightStride, weightStride, activations, activationStride, k, y + 2, yStride);
        }
    }

    /// <summary>2 rows x 4 tokens: 8 accumulators, the two rows' |w| and signs, their scales and one activation block
    /// fit the 16 ymm registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoRows(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        float* halfTable = HalfBits.Table;
        byte* w0 = weights, w1 = w0 + weightStride;
        byte* a0 = activations, a1 = a0 + activationStride, a2 = a1 + activationStride, a3 = a2 + activationStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        int blocks = k / Q8_0Activations.BlockSize;
        var ones = Vector256.Create((short)1);
        for (int b = 0; b < blocks; b++)
        {
            nint wo = b * TBlocks.BlockBytes, ao = b * Q8_0Activations.BlockBytes;
            var q0 = TBlocks.Decode(w0 + wo);
            var q1 = TBlocks.Decode(w1 + wo);
            var m0 = Avx2.Sign(q0, q0).AsByte();
            var m1 = Avx2.Sign(q1, q1).AsByte();
            var d0 = Vector256.Create(halfTable[*(ushort*)(w0 + wo)]);
            var d1 = Vector256.Create(halfTable[*(ushort*)(w1 + wo)]);
            var x = Vector256.Load((sbyte*)(a0 + ao + 2));
            var dx = Vector256.Create(halfTable[*(ushort*)(a0 + ao)]);
            c00 = Step(c00, m0, q0, x, dx, d0, ones); c10 = Step(c10, m1, q1, x, dx, d1, ones);
            x = Vector256.Load((sbyte*)(a1 + ao + 2));
            dx = Vector256.Create(halfTable[*(ushort*)(a1 + ao)]);
            c01 = Step(c01, m0, q0, x, dx, d0, ones); c11 = Step(c11, m1, q1, x, dx, d1, ones);
            x = Vector256.Load((sbyte*)(a2 + ao + 2));
            dx = Vector256.Create(halfTable[*(ushort*)(a2 + ao)]);
            c02 = Step(c02, m0, q0, x, dx, d0, ones); c12 = Step(c12, m1, q1, x, dx, d1, ones);
            x = Vector256.Load((sbyte*)(a3 + ao + 2));
            dx = Vector256.Create(halfTable[*(ushort*)(a3 + ao)]);
            c03 = Step(c03, m0, q0, x, dx, d0, ones); c13 = Step(c13, m1, q1, x, dx, d1, ones);
        }
        TileResults.Store(y, yStride, 0, c00, c01, c02, c03);
        TileResults.Store(y, yStride, 1, c10, c11, c12, c13);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        float* halfTable = HalfBits.Table;
        byte* w0 = weights, w1 = w0 + weightStride, w2 = w1 + weightStride, w3 = w2 + weightStride;
        byte* a0 = activations, a1 = a0 + activationStride, a2 = a1 + activationStride, a3 = a2 + activationStride;
        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int blocks = k / Q8_0Activations.BlockSize;
        var ones = Vector256.Create((short)1);
        for (int b = 0; b < blocks; b++)
        {
            nint wo = b * TBlocks.BlockBytes, ao = b * Q8_0Activations.BlockBytes;
            var q0 = TBlocks.Decode(w0 + wo);
            var q1 = TBlocks.Decode(w1 + wo);
            var q2 = TBlocks.Decode(w2 + wo);
            var q3 = TBlocks.Decode(w3 + wo);
            // |w| once per row block; each token then only needs x with w's sign (see SimdInt8).
            var m0 = Avx2.Sign(q0, q0).AsByte();
            var m1 = Avx2.Sign(q1, q1).AsByte();
            var m2 = Avx2.Sign(q2, q2).AsByte();
            var m3 = Avx2.Sign(q3, q3).AsByte();
            var d0 = Vector256.Create(halfTable[*(ushort*)(w0 + wo)]);
            var d1 = Vector256.Create(halfTable[*(ushort*)(w1 + wo)]);
            var d2 = Vector256.Create(halfTable[*(ushort*)(w2 + wo)]);
            var d3 = Vector256.Create(halfTable[*(ushort*)(w3 + wo)]);

            var x = Vector256.Load((sbyte*)(a0 + ao + 2));
            var dx = Vector256.Create(halfTable[*(ushort*)(a0 + ao)]);
            c00 = Step(c00, m0, q0, x, dx, d0, ones); c10 = Step(c10, m1, q1, x, dx, d1, ones); c20 = Step(c20, m2, q2, x, dx, d2, ones); c30 = Step(c30, m3, q3, x, dx, d3, ones);
            x = Vector256.Load((sbyte*)(a1 + ao + 2));
            dx = Vector256.Create(halfTable[*(ushort*)(a1 + ao)]);
            c01 = Step(c01, m0, q0, x, dx, d0, ones); c11 = Step(c11, m1, q1, x, dx, d1, ones); c21 = Step(c21, m2, q2, x, dx, d2, ones); c31 = Step(c31, m3, q3, x, dx, d3, ones);
            x = Vector256.Load((sbyte*)(a2 + ao + 2));
            dx = Vector256.Create(halfTable[*(ushort*)(a2 + ao)]);
            c02 = Step(c02, m0, q0, x, dx, d0, ones); c12 = Step(c12, m1, q1, x, dx, d1, ones); c22 = Step(c22, m2, q2, x, dx, d2, ones); c32 = Step(c32, m3, q3, x, dx, d3, ones);
            x = Vector256.Load((sbyte*)(a3 + ao + 2));
            dx = Vector256.Create(halfTable[*(ushort*)(a3 + ao)]);
            c03 = Step(c03, m0, q0, x, dx, d0, ones); c13 = Step(c13, m1, q1, x, dx, d1, ones); c23 = Step(c23, m2, q2, x, dx, d2, ones); c33 = Step(c33, m3, q3, x, dx, d3, ones);
        }
        TileResults.Store(y, yStride, 0, c00, c01, c02, c03);
        TileResults.Store(y, yStride, 1, c10, c11, c12, c13);
        TileResults.Store(y, yStride, 2, c20, c21, c22, c23);
        TileResults.Store(y, yStride, 3, c30, c31, c32, c33);
    }

    /// <summary>acc += float(w · x) * dx * dw, with |w| given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> acc, Vector256<byte> absW, Vector256<sbyte> w, Vector256<sbyte> x,
        Vector256<float> dx, Vector256<float> dw, Vector256<short> ones)
    {
        var sums = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(absW, Avx2.Sign(x, w)), ones);
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums) * dx, dw, acc);
    }
}
