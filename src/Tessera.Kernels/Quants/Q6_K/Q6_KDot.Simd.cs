using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_K;

namespace Tessera.Kernels.Quants.Q6_K;

internal static unsafe partial class Q6_KDot
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        var highMask = Vector256.Create((byte)0x30);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            sbyte* scales = (sbyte*)(weights + ScalesOffset);
            sbyte* a = Q8_KBlock.Quants(activations);
            var sumi = Vector256<int>.Zero;
            for (int half = 0; half < 2; half++)
            {
                byte* ql = weights + 64 * half;
                var ql0 = Vector256.Load(ql);
                var ql1 = Vector256.Load(ql + 32);
                var qh = Vector256.Load(weights + HighBitsOffset + 32 * half).AsUInt16();
                // Levels 0..63 (offset applied later), each vector 32 consecutive values.
                var q0 = (ql0 & mask) | ((qh << 4).AsByte() & highMask);
                var q1 = (ql1 & mask) | ((qh << 2).AsByte() & highMask);
                var q2 = (Vector256.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & mask) | (qh.AsByte() & highMask);
                var q3 = (Vector256.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & mask) | ((qh >> 2).AsByte() & highMask);
                sbyte* aHalf = a + 128 * half;
                sbyte* sc = scales + 8 * half;
                sumi += SimdInt8.MultiplySumScaled(q0, aHalf, sc[0], sc[1]);
                sumi += SimdInt8.MultiplySumScaled(q1, aHalf + 32, sc[2], sc[3]);
                sumi += SimdInt8.MultiplySumScaled(q2, aHalf + 64, sc[4], sc[5]);
                sumi += SimdInt8.MultiplySumScaled(q3, aHalf + 96, sc[6], sc[7]);
            }
            float d = halfTable[*(ushort*)(weights + ScaleOffset)] * Q8_KBlock.Scale(activations);
            int offset = OffsetDot(scales, Q8_KBlock.Sums(activations));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sumi - Vector256.CreateScalar(offset)), Vector256.Create(d), acc);
        }
        return Vector256.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float sum = 0;
        var mask = Vector128.Create((byte)0x0F);
        var highMask = Vector128.Create((byte)0x30);
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += Q8_KActivations.BlockBytes)
        {
            sbyte* scales = (sbyte*)(weights + ScalesOffset);
            sbyte* a = Q8_KBlock.Quants(activations);
            int total = 0;
            for (int half = 0; half < 2; half++)
            {
                for (int part = 0; part < 2; part++)
                {
                    // 16 values of each of the four 32-value groups: l in 16*part .. 16*part+15.
                    byte* ql = weights + 64 * half + 16 * part;
                    var ql0 = Vector128.Load(ql);
                    var ql1 = Vector128.Load(ql + 32);
                    var qh = Vector128.Load(weights + HighBitsOffset + 32 * half + 16 * part);
                    var q0 = (ql0 & mask) | (Vector128.ShiftLeft(qh, 4) & highMask);
                    var q1 = (ql1 & mask) | (Vector128.ShiftLeft(qh, 2) & highMask);
                    var q2 = Vector128.ShiftRightLogical(ql0, 4) | (qh & highMask);
                    var q3 = Vector128.ShiftRightLogical(ql1, 4) | (Vector128.ShiftRightLogical(qh, 2) & highMask);
                    sbyte* aPart = a + 128 * half + 16 * part;
                    sbyte* sc = scales + 8 * half + part;
                    total += sc[0] * Vector128.Sum(SimdInt8.MultiplySum(q0.AsSByte(), Vector128.Load(aPart)))
                        + sc[2] * Vector128.Sum(SimdInt8.MultiplySum(q1.AsSByte(), Vector128.Load(aPart + 32)))
                        + sc[4] * Vector128.Sum(SimdInt8.MultiplySum(q2.AsSByte(), Vector128.Load(aPart + 64)))
                        + sc[6] * Vector128.Sum(SimdInt8.MultiplySum(q3.AsSByte(), Vector128.Load(aPart + 96)));
                }
            }
            total -= OffsetDot(scales, Q8_KBlock.Sums(activations));
            sum += halfTable[*(ushort*)(weights + ScaleOffset)] * Q8_KBlock.Scale(activations) * total;
        }
        return sum;
    }
}
