using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants.Q4_0;

/// <summary>
/// AVX-512 matrix-matrix tile for Q4_0 x Q8_0: 4 weight rows x 4 tokens, two blocks per 512-bit register.
/// Levels are used unsigned (0..15) so vpmaddubsw takes them directly and no sign fix-up is needed per pair:
/// Σ (l - 8) x = Σ l x - 8 Σ x, where 8 Σ x is computed once per token and block and shared by the four rows.
/// </summary>
internal static unsafe class Q4_0Tile512
{
    private const int BlockBytes = Q4_0Dot.BlockBytes;
    private const int ActivationBytes = Q8_0Activations.BlockBytes;

    /// <summary>y[t * yStride + r] = row r · token t for r, t in 0..3. Rows with an odd block count go to the AVX2 tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        if (k % (2 * Q8_0Activations.BlockSize) != 0)
        {
            Int8TileKernel<Q4_0Blocks>.Compute(weights, weightStride, activations, activationStride, k, y, yStride);
            return;
        }
        float* halfTable = HalfBits.Table;
        byte* w0 = weights, w1 = w0 + weightStride, w2 = w1 + weightStride, w3 = w2 + weightStride;
        byte* a0 = activations, a1 = a0 + activationStride, a2 = a1 + activationStride, a3 = a2 + activationStride;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        var ones = Vector512.Create((short)1);
        var eights = Vector512.Create((byte)8);
        for (int b = 0; b < k / Q8_0Activations.BlockSize; b += 2)
        {
            nint wo = b * BlockBytes, ao = b * ActivationBytes;
            var l0 = Levels(w0 + wo);
            var l1 = Levels(w1 + wo);
            var l2 = Levels(w2 + wo);
            var l3 = Levels(w3 + wo);
            var d0 = Scales(halfTable, w0 + wo, BlockBytes);
            var d1 = Scales(halfTable, w1 + wo, BlockBytes);
            var d2 = Scales(halfTable, w2 + wo, BlockBytes);
            var d3 = Scales(halfTable, w3 + wo, BlockBytes);

            var (x, offset, dx) = Token(a0 + ao, halfTable, eights, ones);
            c00 = Step(c00, l0, x, offset, dx, d0, ones); c10 = Step(c10, l1, x, offset, dx, d1, ones);
            c20 = Step(c20, l2, x, offset, dx, d2, ones); c30 = Step(c30, l3, x, offset, dx, d3, ones);
            (x, offset, dx) = Token(a1 + ao, halfTable, eights, ones);
            c01 = Step(c01, l0, x, offset, dx, d0, ones); c11 = Step(c11, l1, x, offset, dx, d1, ones);
            c21 = Step(c21, l2, x, offset, dx, d2, ones); c31 = Step(c31, l3, x, offset, dx, d3, ones);
            (x, offset, dx) = Token(a2 + ao, halfTable, eights, ones);
            c02 = Step(c02, l0, x, offset, dx, d0, ones); c12 = Step(c12, l1, x, offset, dx, d1, ones);
            c22 = Step(c22, l2, x, offset, dx, d2, ones); c32 = Step(c32, l3, x, offset, dx, d3, ones);
            (x, offset, dx) = Token(a3 + ao, halfTable, eights, ones);
            c03 = Step(c03, l0, x, offset, dx, d0, ones); c13 = Step(c13, l1, x, offset, dx, d1, ones);
            c23 = Step(c23, l2, x, offset, dx, d2, ones); c33 = Step(c33, l3, x, offset, dx, d3, ones);
        }
        TileResults.Store(y, yStride, 0, c00, c01, c02, c03);
        TileResults.Store(y, yStride, 1, c10, c11, c12, c13);
        TileResults.Store(y, yStride, 2, c20, c21, c22, c23);
        TileResults.Store(y, yStride, 3, c30, c31, c32, c33);
    }

    /// <summary>Levels 0..15 of two consecutive blocks, each in element order (see <see cref="BlockBits.Nibbles"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Levels(byte* block) => Vector512.Create(BlockBits.Nibbles(block + 2), BlockBits.Nibbles(block + BlockBytes + 2));

    /// <summary>The scales of two consecutive blocks: lanes 0-7 the first, 8-15 the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scales(float* halfTable, byte* block, int stride) =>
        Vector512.Create(Vector256.Create(halfTable[*(ushort*)block]), Vector256.Create(halfTable[*(ushort*)(block + stride)]));

    /// <summary>Two activation blocks of one token, 8 * (sums of their quants in groups of four) and their scales.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<sbyte> X, Vector512<int> Offset, Vector512<float> Scale) Token(byte* block, float* halfTable, Vector512<byte> eights, Vector512<short> ones)
    {
        var x = Vector512.Create(Vector256.Load((sbyte*)(block + 2)), Vector256.Load((sbyte*)(block + ActivationBytes + 2)));
        var offset = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(eights, x), ones);
        return (x, offset, Scales(halfTable, block, ActivationBytes));
    }

    /// <summary>acc += float(levels · x - 8 Σx) * dx * dw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Step(Vector512<float> acc, Vector512<byte> levels, Vector512<sbyte> x, Vector512<int> offset,
        Vector512<float> dx, Vector512<float> dw, Vector512<short> ones)
    {
        var sums = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(levels, x), ones) - offset;
        return Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums) * dx, dw, acc);
    }
}
