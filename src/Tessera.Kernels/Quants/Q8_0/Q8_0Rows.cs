using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Q8_0;

/// <summary>
/// Rows of floats kept as Q8_0 blocks { half d; sbyte q[32] } (the KV cache in Q8_0): quantized once when a token's
/// keys and values are written, dequantized to F32 a chunk at a time when attention reads them. The row length must
/// be a multiple of 32.
/// </summary>
public static unsafe class Q8_0Rows
{
    public const int BlockSize = Q8_0Activations.BlockSize;
    public const int BlockBytes = Q8_0Activations.BlockBytes;

    /// <summary>Bytes of a row of <paramref name="k"/> values.</summary>
    public static int RowBytes(int k) => k / BlockSize * BlockBytes;

    /// <summary>Quantizes <paramref name="k"/> floats (same rounding as the reference quantizer).</summary>
    public static void Quantize(float* x, int k, byte* destination)
    {
        CheckLength(k);
        Q8_0Activations.Quantize(x, k, destination);
    }

    /// <summary>Dequantizes a row of <paramref name="k"/> values.</summary>
    public static void Dequantize(byte* source, int k, float* destination)
    {
        CheckLength(k);
        if (Vector256.IsHardwareAccelerated)
            DequantizeVector256(source, k, destination);
        else
            DequantizeScalar(source, k, destination);
    }

    /// <summary>The readable reference: value = d * q.</summary>
    public static void DequantizeScalar(byte* source, int k, float* destination) =>
        Tensors.Quants.Q8_0.Dequantize(new ReadOnlySpan<byte>(source, RowBytes(k)), new Span<float>(destination, k));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DequantizeVector256(byte* source, int k, float* destination)
    {
        for (int b = 0; b < k / BlockSize; b++, source += BlockBytes, destination += BlockSize)
        {
            var d = Vector256.Create(Numerics.HalfBits.ToSingle(*(ushort*)source));
            var q = Vector256.Load((sbyte*)(source + 2));
            var low = Vector256.WidenLower(q);      // q[0..15] as shorts
            var high = Vector256.WidenUpper(q);     // q[16..31]
            (Vector256.ConvertToSingle(Vector256.WidenLower(low)) * d).Store(destination);
            (Vector256.ConvertToSingle(Vector256.WidenUpper(low)) * d).Store(destination + 8);
            (Vector256.ConvertToSingle(Vector256.WidenLower(high)) * d).Store(destination + 16);
            (Vector256.ConvertToSingle(Vector256.WidenUpper(high)) * d).Store(destination + 24);
        }
    }

    private static void CheckLength(int k)
    {
        if (k <= 0 || k % BlockSize != 0)
            throw new ArgumentException($"a Q8_0 row holds a multiple of {BlockSize} values, not {k}", nameof(k));
    }
}
