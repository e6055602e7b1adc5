using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants;

/// <summary>How a float weight type (F32, F16, BF16) turns 8, 1 or a run of its elements into F32.</summary>
internal unsafe interface IFloatRows
{
    /// <summary>Sixteen values from <paramref name="index"/> as floats (AVX-512).</summary>
    static abstract Vector512<float> Load16(byte* row, int index);

    static abstract Vector256<float> Load8(byte* row, int index);
    static abstract float Load1(byte* row, int index);
    static abstract void ToSingle(byte* row, float* destination, int count);
}

internal readonly unsafe struct F32Rows : IFloatRows
{
    public static Vector512<float> Load16(byte* row, int index) => Vector512.Load((float*)row + index);
    public static Vector256<float> Load8(byte* row, int index) => Avx.LoadVector256((float*)row + index);
    public static float Load1(byte* row, int index) => ((float*)row)[index];
    public static void ToSingle(byte* row, float* destination, int count) => Buffer.MemoryCopy(row, destination, (long)count * sizeof(float), (long)count * sizeof(float));
}

internal readonly unsafe struct F16Rows : IFloatRows
{
    public static Vector512<float> Load16(byte* row, int index) => HalfBits.ToSingle(Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + index)));
    public static Vector256<float> Load8(byte* row, int index) => HalfBits.ToSingle(Avx2.ConvertToVector256Int32((ushort*)row + index).AsUInt32());
    public static float Load1(byte* row, int index) => HalfBits.ToSingle(((ushort*)row)[index]);
    public static void ToSingle(byte* row, float* destination, int count) => HalfBits.ToSingle((ushort*)row, destination, count);
}

internal readonly unsafe struct BF16Rows : IFloatRows
{
    public static Vector512<float> Load16(byte* row, int index) => (Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + index)) << 16).AsSingle();
    public static Vector256<float> Load8(byte* row, int index) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((ushort*)row + index), 16).AsSingle();
    public static float Load1(byte* row, int index) => HalfBits.BFloat16ToSingle(((ushort*)row)[index]);
    public static void ToSingle(byte* row, float* destination, int count) => HalfBits.BFloat16ToSingle((ushort*)row, destination, count);
}

/// <summary>
/// 4 float weight rows x 4 tokens of F32 activations with AVX2 FMA: each 8-wide slice of a weight row is loaded (and,
/// for F16/BF16, converted) once for four tokens instead of once per token. Two passes of 2 rows x 4 tokens keep the
/// 8 accumulators, 2 weight vectors and the activation in 11 of the 16 ymm registers. Same contract as
/// <see cref="Int8TileKernel{TBlocks}"/>: <c>y[t * yStride + r]</c> for r, t in 0..3.
/// </summary>
internal static unsafe class FloatTileKernel<TRows> where TRows : IFloatRows
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        TwoRows(weights, weightStride, activations, activationStride, k, y, yStride);
        TwoRows(weights + 2 * weightStride, weightStride, activations, activationStride, k, y + 2, yStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoRows(byte* weights, nint weightStride, byte* activations, nint activationStride, int k, float* y, nint yStride)
    {
        byte* w0 = weights, w1 = weights + weightStride;
        float* a0 = (float*)activations, a1 = (float*)(activations + activationStride);
        float* a2 = (float*)(activations + 2 * activationStride), a3 = (float*)(activations + 3 * activationStride);
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;   // row 0, tokens 0..3
        Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;   // row 1
        int i = 0;
        for (; i + 8 <= k; i += 8)
        {
            var r0 = TRows.Load8(w0, i);
            var r1 = TRows.Load8(w1, i);
            var x = Avx.LoadVector256(a0 + i);
            s00 = Fma.MultiplyAdd(r0, x, s00);
            s10 = Fma.MultiplyAdd(r1, x, s10);
            x = Avx.LoadVector256(a1 + i);
            s01 = Fma.MultiplyAdd(r0, x, s01);
            s11 = Fma.MultiplyAdd(r1, x, s11);
            x = Avx.LoadVector256(a2 + i);
            s02 = Fma.MultiplyAdd(r0, x, s02);
            s12 = Fma.MultiplyAdd(r1, x, s12);
            x = Avx.LoadVector256(a3 + i);
            s03 = Fma.MultiplyAdd(r0, x, s03);
            s13 = Fma.MultiplyAdd(r1, x, s13);
        }
        float t00 = Vector256.Sum(s00), t01 = Vector256.Sum(s01), t02 = Vector256.Sum(s02), t03 = Vector256.Sum(s03);
        float t10 = Vector256.Sum(s10), t11 = Vector256.Sum(s11), t12 = Vector256.Sum(s12), t13 = Vector256.Sum(s13);
        for (; i < k; i++)
        {
            float v0 = TRows.Load1(w0, i), v1 = TRows.Load1(w1, i);
            t00 += v0 * a0[i]; t01 += v0 * a1[i]; t02 += v0 * a2[i]; t03 += v0 * a3[i];
            t10 += v1 * a0[i]; t11 += v1 * a1[i]; t12 += v1 * a2[i]; t13 += v1 * a3[i];
        }
        y[0] = t00; y[yStride] = t01; y[2 * yStride] = t02; y[3 * yStride] = t03;
        y[1] = t10; y[yStride + 1] = t11; y[2 * yStride + 1] = t12; y[3 * yStride + 1] = t13;
    }
}
