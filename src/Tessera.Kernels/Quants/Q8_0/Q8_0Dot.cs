using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q8_0;

/// <summary>
/// Q8_0 weights · Q8_0 activations. block_q8_0 = { half d; sbyte qs[32] } (34 bytes): value j = d * qs[j].
/// </summary>
internal static unsafe class Q8_0Dot
{
    private const int BlockSize = 32;
    private const int BlockBytes = Q8_0Activations.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += BlockBytes)
        {
            sbyte* w = (sbyte*)(weights + 2);
            sbyte* a = (sbyte*)(activations + 2);
            int blockSum = 0;
            for (int j = 0; j < BlockSize; j++)
                blockSum += w[j] * a[j];
            sum += HalfBits.ToSingle(weights) * HalfBits.ToSingle(activations) * blockSum;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        int blocks = k / BlockSize;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, weights += 2 * BlockBytes, activations += 2 * BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * BlockBytes);
            var p0 = SimdInt8.MultiplySum(Vector256.Load((sbyte*)(weights + 2)), Vector256.Load((sbyte*)(activations + 2)));
            var p1 = SimdInt8.MultiplySum(Vector256.Load((sbyte*)(weights + BlockBytes + 2)), Vector256.Load((sbyte*)(activations + BlockBytes + 2)));
            float s0 = halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations];
            float s1 = halfTable[*(ushort*)(weights + BlockBytes)] * halfTable[*(ushort*)(activations + BlockBytes)];
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(s0), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(s1), acc1);
        }
        if (b < blocks)
        {
            var p = SimdInt8.MultiplySum(Vector256.Load((sbyte*)(weights + 2)), Vector256.Load((sbyte*)(activations + 2)));
            float s = halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations];
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(s), acc0);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>One row against two, three or four tokens' activations (<typeparamref name="TTokens"/>) a stride apart:
    /// each block's magnitudes and scale taken once for all of them, each token's sums kept as <see cref="DotAvx2"/>
    /// keeps them, so the results are its bits. Where a few tokens meet a row token by token (a batch of a few decode
    /// steps, busy server slots) the row is read once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotManyAvx2<TTokens>(byte* weights, byte* activations, nint stride, int k, float* results) where TTokens : ITokenCount
    {
        bool three = TTokens.Count >= 3, four = TTokens.Count == 4;
        float* halfTable = HalfBits.Table;
        int blocks = k / BlockSize;
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        Vector256<float> x0 = default, x1 = default, y0 = default, y1 = default, z0 = default, z1 = default, u0 = default, u1 = default;
        int b = 0;
        nint o = 0;   // the blocks' offset in each token's activations
        for (; b + 2 <= blocks; b += 2, weights += 2 * BlockBytes, o += 2 * BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * BlockBytes);
            var w0 = Vector256.Load((sbyte*)(weights + 2));
            var w1 = Vector256.Load((sbyte*)(weights + BlockBytes + 2));
            var m0 = Avx2.Sign(w0, w0).AsByte();
            var m1 = Avx2.Sign(w1, w1).AsByte();
            float d0 = halfTable[*(ushort*)weights], d1 = halfTable[*(ushort*)(weights + BlockBytes)];
            x0 = Step(x0, m0, w0, a0 + o + 2, d0 * halfTable[*(ushort*)(a0 + o)]);
            x1 = Step(x1, m1, w1, a0 + o + BlockBytes + 2, d1 * halfTable[*(ushort*)(a0 + o + BlockBytes)]);
            y0 = Step(y0, m0, w0, a1 + o + 2, d0 * halfTable[*(ushort*)(a1 + o)]);
            y1 = Step(y1, m1, w1, a1 + o + BlockBytes + 2, d1 * halfTable[*(ushort*)(a1 + o + BlockBytes)]);
            if (three)
            {
                z0 = Step(z0, m0, w0, a2 + o + 2, d0 * halfTable[*(ushort*)(a2 + o)]);
                z1 = Step(z1, m1, w1, a2 + o + BlockBytes + 2, d1 * halfTable[*(ushort*)(a2 + o + BlockBytes)]);
            }
            if (four)
            {
                u0 = Step(u0, m0, w0, a3 + o + 2, d0 * halfTable[*(ushort*)(a3 + o)]);
                u1 = Step(u1, m1, w1, a3 + o + BlockBytes + 2, d1 * halfTable[*(ushort*)(a3 + o + BlockBytes)]);
            }
        }
        if (b < blocks)
        {
            var w = Vector256.Load((sbyte*)(weights + 2));
            var m = Avx2.Sign(w, w).AsByte();
            float d = halfTable[*(ushort*)weights];
            x0 = Step(x0, m, w, a0 + o + 2, d * halfTable[*(ushort*)(a0 + o)]);
            y0 = Step(y0, m, w, a1 + o + 2, d * halfTable[*(ushort*)(a1 + o)]);
            if (three)
                z0 = Step(z0, m, w, a2 + o + 2, d * halfTable[*(ushort*)(a2 + o)]);
            if (four)
                u0 = Step(u0, m, w, a3 + o + 2, d * halfTable[*(ushort*)(a3 + o)]);
        }
        results[0] = Vector256.Sum(x0 + x1);
        results[1] = Vector256.Sum(y0 + y1);
        if (three)
            results[2] = Vector256.Sum(z0 + z1);
        if (four)
            results[3] = Vector256.Sum(u0 + u1);
    }

    /// <summary>acc += float(Σ w·a over a block) * scale, the products as <see cref="SimdInt8.MultiplySum(Vector256{sbyte}, Vector256{sbyte})"/>
    /// forms them, from the weights' magnitudes and signs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> acc, Vector256<byte> magnitudes, Vector256<sbyte> signs, byte* quants, float scale) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(SimdInt8.MultiplySumUnsigned(magnitudes, Avx2.Sign(Vector256.Load((sbyte*)quants), signs))),
            Vector256.Create(scale), acc);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += BlockBytes)
        {
            var products = SimdInt8.MultiplySum(Vector128.Load((sbyte*)(weights + 2)), Vector128.Load((sbyte*)(activations + 2)))
                + SimdInt8.MultiplySum(Vector128.Load((sbyte*)(weights + 18)), Vector128.Load((sbyte*)(activations + 18)));
            sum += halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations] * Vector128.Sum(products);
        }
        return sum;
    }

    public static DotPath[] Paths =>
    [
        new(Isa.Scalar, true, &DotScalar),
        new(Isa.Vector128, IsaSupport.Vector128, &DotVector128),
        new(Isa.Avx2, IsaSupport.Avx2, &DotAvx2),
    ];
}
