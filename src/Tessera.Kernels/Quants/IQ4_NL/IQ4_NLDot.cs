using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.IQ4_NL;

/// <summary>
/// IQ4_NL weights · Q8_0 activations. block_iq4_nl = { half d; byte qs[16] } (18 bytes, Q4_0's nibble order):
/// value = d * Table[nibble], a fixed non-linear int8 table. Its block is 32 values, so it pairs with Q8_0 like Q4_0;
/// SIMD paths turn nibbles into table values with a byte shuffle.
/// </summary>
internal static unsafe class IQ4_NLDot
{
    public const int BlockBytes = 18;
    private const int BlockSize = 32;
    private const int ActivationBytes = Q8_0.Q8_0Activations.BlockBytes;

    /// <summary>The IQ4_NL levels (format constant).</summary>
    internal static ReadOnlySpan<sbyte> Table => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotScalar(byte* weights, byte* activations, int k)
    {
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            byte* qs = weights + 2;
            sbyte* a = (sbyte*)(activations + 2);
            int dot = 0;
            for (int j = 0; j < 16; j++)
                dot += Table[qs[j] & 0x0F] * a[j] + Table[qs[j] >> 4] * a[j + 16];
            sum += HalfBits.ToSingle(weights) * HalfBits.ToSingle(activations) * dot;
        }
        return sum;
    }

    /// <summary>Two blocks per step into two accumulators (the FMA chains overlap), weights streamed ahead as the
    /// other dots do: decode reads IQ4_NL at the memory rate Q4_0 reaches, not at one block's latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        int blocks = k / BlockSize;
        float* halfTable = HalfBits.Table;
        var table = Vector128.Create(Table);
        var table256 = Vector256.Create(table, table);
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, weights += 2 * BlockBytes, activations += 2 * ActivationBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * BlockBytes);
            var p0 = BlockDot(weights, activations, table256);
            var p1 = BlockDot(weights + BlockBytes, activations + ActivationBytes, table256);
            float s0 = halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations];
            float s1 = halfTable[*(ushort*)(weights + BlockBytes)] * halfTable[*(ushort*)(activations + ActivationBytes)];
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0), Vector256.Create(s0), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1), Vector256.Create(s1), acc1);
        }
        if (b < blocks)
        {
            var p = BlockDot(weights, activations, table256);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p), Vector256.Create(halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations]), acc0);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>One block's Σ Table[nibble]·x in eight int32 lanes: the nibbles become table values with one byte
    /// shuffle, then the signed products go through the sign trick.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BlockDot(byte* weights, byte* activations, Vector256<sbyte> table) =>
        SimdInt8.MultiplySum(Avx2.Shuffle(table, BlockBits.Nibbles(weights + 2).AsSByte()), Vector256.Load((sbyte*)(activations + 2)));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotVector128(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var table = Vector128.Create(Table);
        float sum = 0;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            var (low, high) = BlockBits.Levels128(weights + 2, 0);
            var dot = SimdInt8.MultiplySum(Vector128.Shuffle(table, low.AsSByte()), Vector128.Load((sbyte*)(activations + 2)))
                + SimdInt8.MultiplySum(Vector128.Shuffle(table, high.AsSByte()), Vector128.Load((sbyte*)(activations + 18)));
            sum += halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations] * Vector128.Sum(dot);
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
