using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;

namespace Tessera.Kernels.Quants.Q4_0;

internal static unsafe partial class Q4_0Dot
{
    private const int ActivationBytes = Q8_0Activations.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        int blocks = k / BlockSize;
        float* halfTable = HalfBits.Table;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var eights = Vector256.Create((byte)8);
        var ones = Vector256.Create((short)1);
        int b = 0;
        for (; b + 2 <= blocks; b += 2, weights += 2 * BlockBytes, activations += 2 * ActivationBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * BlockBytes);
            var p0 = OffsetLevelsDot(weights, activations, eights, ones);
            var p1 = OffsetLevelsDot(weights + BlockBytes, activations + ActivationBytes, eights, ones);
            float s0 = halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations];
            float s1 = halfTable[*(ushort*)(weights + BlockBytes)] * halfTable[*(ushort*)(activations + ActivationBytes)];
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(s0), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(s1), acc1);
        }
        if (b < blocks)
        {
            var p = OffsetLevelsDot(weights, activations, eights, ones);
            float s = halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations];
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(s), acc0);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>
    /// One block's Σ (l - 8) x in eight int32 lanes, levels kept unsigned (0..15) so vpmaddubsw takes them directly:
    /// Σ l x - Σ 8 x subtracted on the int16 pairs (|pair| &lt;= 2·15·127, so neither term saturates). Cheaper than
    /// decoding to signed values and applying the sign trick (two vpsignb and a subtraction).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> OffsetLevelsDot(byte* weights, byte* activations, Vector256<byte> eights, Vector256<short> ones)
    {
        var x = Vector256.Load((sbyte*)(activations + 2));
        var pairs = Avx2.MultiplyAddAdjacent(BlockBits.Nibbles(weights + 2), x) - Avx2.MultiplyAddAdjacent(eights, x);
        return Avx2.MultiplyAddAdjacent(pairs, ones);
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
