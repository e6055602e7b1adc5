using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q4_K;

internal static unsafe partial class Q4_KDot
{
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        int* scales = stackalloc int[KQuantScales.SubBlocks];
        int* mins = stackalloc int[KQuantScales.SubBlocks];
        var acc = Vector256<float>.Zero;
        float minimumSum = 0;
        var mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            KQuantScales.Decode(weights + ScalesOffset, scales, mins);
            byte* qs = weights + QuantsOffset;
            sbyte* a = Q8_KBlock.Quants(activations);
            var sumi = Vector256<int>.Zero;
            for (int i = 0; i < 4; i++)
            {
                var packed = Vector256.Load(qs + 32 * i);
                var low = packed & mask;
                var high = Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & mask;
                // Levels are 0..15, so vpmaddubsw takes them directly as the unsigned operand.
                var pLow = Avx2.MultiplyAddAdjacent(low, Vector256.Load(a + 64 * i));
                var pHigh = Avx2.MultiplyAddAdjacent(high, Vector256.Load(a + 64 * i + 32));
                sumi += Avx2.MultiplyAddAdjacent(pLow, Vector256.Create((short)scales[2 * i]));
                sumi += Avx2.MultiplyAddAdjacent(pHigh, Vector256.Create((short)scales[2 * i + 1]));
            }
            float da = Q8_KBlock.Scale(activations);
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi), Vector256.Create(HalfBits.ToSingle(weights) * da), acc);
            minimumSum += HalfBits.ToSingle(weights + 2) * da * KQuantScales.MinimumDot(mins, Q8_KBlock.Sums(activations));
        }
        return Vector256.Sum(acc) - minimumSum;
    }

    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        int* scales = stackalloc int[KQuantScales.SubBlocks];
        int* mins = stackalloc int[KQuantScales.SubBlocks];
        float sum = 0;
        var mask = Vector128.Create((byte)0x0F);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            KQuantScales.Decode(weights + ScalesOffset, scales, mins);
            byte* qs = weights + QuantsOffset;
            sbyte* a = Q8_KBlock.Quants(activations);
            int scaled = 0;
            for (int i = 0; i < 4; i++)
            {
                var packed0 = Vector128.Load(qs + 32 * i);
                var packed1 = Vector128.Load(qs + 32 * i + 16);
                var low = SimdInt8.MultiplySum((packed0 & mask).AsSByte(), Vector128.Load(a + 64 * i))
                    + SimdInt8.MultiplySum((packed1 & mask).AsSByte(), Vector128.Load(a + 64 * i + 16));
                var high = SimdInt8.MultiplySum(Vector128.ShiftRightLogical(packed0, 4).AsSByte(), Vector128.Load(a + 64 * i + 32))
                    + SimdInt8.MultiplySum(Vector128.ShiftRightLogical(packed1, 4).AsSByte(), Vector128.Load(a + 64 * i + 48));
                scaled += scales[2 * i] * Vector128.Sum(low) + scales[2 * i + 1] * Vector128.Sum(high);
            }
            float da = Q8_KBlock.Scale(activations);
            sum += HalfBits.ToSingle(weights) * da * scaled - HalfBits.ToSingle(weights + 2) * da * KQuantScales.MinimumDot(mins, Q8_KBlock.Sums(activations));
        }
        return sum;
    }
}
