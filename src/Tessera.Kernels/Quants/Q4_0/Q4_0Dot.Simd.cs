using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants.Q4_0;

internal static unsafe partial class Q4_0Dot
{
    private const int ActivationBytes = Q8_0Activations.BlockBytes;

    /// <summary>The 32 quants of a block as int8 -8..7 in element order: low nibbles in the low lane, high in the high lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Unpack(byte* block)
    {
        var packed = Vector128.Load(block + 2);
        var nibbles = Vector256.Create(packed, Vector128.ShiftRightLogical(packed.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)0x0F);
        return (nibbles.AsSByte() - Vector256.Create((sbyte)8));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        int blocks = k / BlockSize;
        float* halfTable = HalfBits.Table;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, weights += 2 * BlockBytes, activations += 2 * ActivationBytes)
        {
            var p0 = SimdInt8.MultiplySum(Unpack(weights), Vector256.Load((sbyte*)(activations + 2)));
            var p1 = SimdInt8.MultiplySum(Unpack(weights + BlockBytes), Vector256.Load((sbyte*)(activations + ActivationBytes + 2)));
            float s0 = halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations];
            float s1 = halfTable[*(ushort*)(weights + BlockBytes)] * halfTable[*(ushort*)(activations + ActivationBytes)];
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(s0), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(s1), acc1);
        }
        if (b < blocks)
        {
            var p = SimdInt8.MultiplySum(Unpack(weights), Vector256.Load((sbyte*)(activations + 2)));
            float s = halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations];
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(s), acc0);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4Avx2(byte* weights, byte* activations, nint stride, int k, float* results)
    {
        float* halfTable = HalfBits.Table;
        int blocks = k / BlockSize;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        for (int b = 0; b < blocks; b++, weights += BlockBytes)
        {
            // Decode the weight block once and reuse it for four tokens: the point of the matrix-matrix kernel.
            var w = Unpack(weights);
            var absW = Avx2.Sign(w, w).AsByte();
            float dw = halfTable[*(ushort*)weights];
            nint offset = b * ActivationBytes;
            acc0 = Accumulate(absW, w, a0 + offset, dw, halfTable, acc0);
            acc1 = Accumulate(absW, w, a1 + offset, dw, halfTable, acc1);
            acc2 = Accumulate(absW, w, a2 + offset, dw, halfTable, acc2);
            acc3 = Accumulate(absW, w, a3 + offset, dw, halfTable, acc3);
        }
        results[0] = Vector256.Sum(acc0);
        results[1] = Vector256.Sum(acc1);
        results[2] = Vector256.Sum(acc2);
        results[3] = Vector256.Sum(acc3);
    }

    /// <summary>acc += (w · a) * dw * da for one Q8_0 activation block, with |w| precomputed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Accumulate(Vector256<byte> absW, Vector256<sbyte> w, byte* activation, float dw, float* halfTable, Vector256<float> acc)
    {
        var pairs = Avx2.MultiplyAddAdjacent(absW, Avx2.Sign(Vector256.Load((sbyte*)(activation + 2)), w));
        var sums = Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Create(dw * halfTable[*(ushort*)activation]), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float sum = 0;
        var mask = Vector128.Create((byte)0x0F);
        var eight = Vector128.Create((sbyte)8);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            var packed = Vector128.Load(weights + 2);
            var low = (packed & mask).AsSByte() - eight;
            var high = Vector128.ShiftRightLogical(packed, 4).AsSByte() - eight;
            var products = SimdInt8.MultiplySum(low, Vector128.Load((sbyte*)(activations + 2)))
                + SimdInt8.MultiplySum(high, Vector128.Load((sbyte*)(activations + 18)));
            sum += halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations] * Vector128.Sum(products);
        }
        return sum;
    }
}
