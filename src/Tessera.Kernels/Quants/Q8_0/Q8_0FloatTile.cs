using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q8_0;

/// <summary>
/// Q8_0 matrix-matrix products on the floating-point units (AVX-512): activations are quantized to Q8_0 as usual and
/// then stored dequantized (d * q as F32, exact: an 11-bit scale times a 7-bit quant fits a float's mantissa), weight
/// blocks are dequantized in registers the same exact way, and the products are summed with FMAs. An int8 Q8_0 tile
/// needs the sign trick per (row, token) pair (`vpsignb`, which has no 512-bit form); here a pair costs two FMAs per
/// 32 values, and a weight row's dequantization (six instructions per block) is shared by four tokens. Rounding:
/// the products are the integer kernel's exactly; only their float summation differs (~1e-7 relative).
/// </summary>
internal static unsafe class Q8_0FloatTile
{
    private const int BlockSize = Q8_0Activations.BlockSize;
    private const int BlockBytes = Q8_0Activations.BlockBytes;

    /// <summary>Activation bytes per 32 values: 32 floats.</summary>
    public const int ActivationBlockBytes = BlockSize * sizeof(float);

    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>x[k] to its Q8_0 quantization, dequantized: F32 [k].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination)
    {
        byte* block = stackalloc byte[BlockBytes];
        float* values = (float*)destination;
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, values += BlockSize)
        {
            Q8_0Activations.Quantize(x, BlockSize, block);
            float d = HalfBits.ToSingle(block);
            sbyte* q = (sbyte*)(block + 2);
            for (int i = 0; i < BlockSize; i++)
                values[i] = d * q[i];
        }
    }

    /// <summary>One row against one dequantized activation row (the matmul's leftover rows and tokens).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float* x = (float*)activations;
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, x += BlockSize)
        {
            var d = Vector512.Create(halfTable[*(ushort*)weights]);
            acc = Avx512F.FusedMultiplyAdd(Values(weights + 2, d), Vector512.Load(x), acc);
            acc = Avx512F.FusedMultiplyAdd(Values(weights + 18, d), Vector512.Load(x + 16), acc);
        }
        return Vector512.Sum(acc);
    }

    /// <summary>4 weight rows x 4 tokens (the <see cref="MatMul"/> tile contract): y[t * yStride + r] = row r · token t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        float* halfTable = HalfBits.Table;
        byte* w0 = weights, w1 = w0 + weightStride, w2 = w1 + weightStride, w3 = w2 + weightStride;
        float* x0 = (float*)activations, x1 = (float*)(activations + activationStride);
        float* x2 = (float*)(activations + 2 * activationStride), x3 = (float*)(activations + 3 * activationStride);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (int b = 0; b < k / BlockSize; b++)
        {
            nint wo = b * BlockBytes;
            var d0 = Vector512.Create(halfTable[*(ushort*)(w0 + wo)]);
            var d1 = Vector512.Create(halfTable[*(ushort*)(w1 + wo)]);
            var d2 = Vector512.Create(halfTable[*(ushort*)(w2 + wo)]);
            var d3 = Vector512.Create(halfTable[*(ushort*)(w3 + wo)]);
            for (int half = 0; half < 2; half++)
            {
                nint qo = wo + 2 + 16 * half, xo = b * BlockSize + 16 * half;
                var r0 = Values(w0 + qo, d0);
                var r1 = Values(w1 + qo, d1);
                var r2 = Values(w2 + qo, d2);
                var r3 = Values(w3 + qo, d3);
                var x = Vector512.Load(x0 + xo);
                c00 = Avx512F.FusedMultiplyAdd(r0, x, c00); c10 = Avx512F.FusedMultiplyAdd(r1, x, c10);
                c20 = Avx512F.FusedMultiplyAdd(r2, x, c20); c30 = Avx512F.FusedMultiplyAdd(r3, x, c30);
                x = Vector512.Load(x1 + xo);
                c01 = Avx512F.FusedMultiplyAdd(r0, x, c01); c11 = Avx512F.FusedMultiplyAdd(r1, x, c11);
                c21 = Avx512F.FusedMultiplyAdd(r2, x, c21); c31 = Avx512F.FusedMultiplyAdd(r3, x, c31);
                x = Vector512.Load(x2 + xo);
                c02 = Avx512F.FusedMultiplyAdd(r0, x, c02); c12 = Avx512F.FusedMultiplyAdd(r1, x, c12);
                c22 = Avx512F.FusedMultiplyAdd(r2, x, c22); c32 = Avx512F.FusedMultiplyAdd(r3, x, c32);
                x = Vector512.Load(x3 + xo);
                c03 = Avx512F.FusedMultiplyAdd(r0, x, c03); c13 = Avx512F.FusedMultiplyAdd(r1, x, c13);
                c23 = Avx512F.FusedMultiplyAdd(r2, x, c23); c33 = Avx512F.FusedMultiplyAdd(r3, x, c33);
            }
        }
        TileResults.Store(y, yStride, 0, c00, c01, c02, c03);
        TileResults.Store(y, yStride, 1, c10, c11, c12, c13);
        TileResults.Store(y, yStride, 2, c20, c21, c22, c23);
        TileResults.Store(y, yStride, 3, c30, c31, c32, c33);
    }

    /// <summary>16 quants widened to F32 and scaled by the block's d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Values(byte* quants, Vector512<float> d) =>
        Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load((sbyte*)quants))) * d;
}
