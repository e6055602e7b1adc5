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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var table = Vector128.Create(Table);
        var table256 = Vector256.Create(table, table);
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < k / BlockSize; b++, weights += BlockBytes, activations += ActivationBytes)
        {
            var values = Avx2.Shuffle(table256, BlockBits.Nibbles(weights + 2).AsSByte());
            var dot = SimdInt8.MultiplySum(values, Vector256.Load((sbyte*)(activations + 2)));
            acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(halfTable[*(ushort*)weights] * halfTable[*(ushort*)activations]), acc);
        }
        return Vector256.Sum(acc);
    }

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
