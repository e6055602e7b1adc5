using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_1;

namespace Tessera.Kernels.Quants;

/// <summary>
/// The AVX2 dot of the offset block types (<see cref="IOffsetBlocks"/>) with Q8_1 activations:
/// Σ (d l + m) d_a a = d d_a (l · a) + m s_a, with s_a = d_a Σa from the Q8_1 block. Two blocks a step, each with its
/// own accumulator and offset sum: one accumulator chained every block's FMA (and the offsets every block's add) and
/// held decode at about half the machine's read rate. The weights are requested ahead as the loop goes
/// (<c>WeightPrefetch.Stream</c>, so the entries set <c>StreamsWeights</c>).
/// </summary>
internal static unsafe class OffsetBlockDot<TBlocks> where TBlocks : IOffsetBlocks
{
    private const int BlockSize = 32;
    private const int ActivationBytes = Q8_1Activations.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotAvx2(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        int blockBytes = TBlocks.BlockBytes;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        float offsets0 = 0, offsets1 = 0;
        int blocks = k / BlockSize;
        int b = 0;
        for (; b + 2 <= blocks; b += 2, weights += 2 * blockBytes, activations += 2 * ActivationBytes)
        {
            Memory.WeightPrefetch.Stream(weights, 2 * blockBytes);
            acc0 = Block(acc0, weights, activations, halfTable);
            acc1 = Block(acc1, weights + blockBytes, activations + ActivationBytes, halfTable);
            offsets0 += Offset(weights, activations, halfTable);
            offsets1 += Offset(weights + blockBytes, activations + ActivationBytes, halfTable);
        }
        if (b < blocks)
        {
            acc0 = Block(acc0, weights, activations, halfTable);
            offsets0 += Offset(weights, activations, halfTable);
        }
        return Vector256.Sum(acc0 + acc1) + (offsets0 + offsets1);
    }

    /// <summary>acc += float(levels · a) * (d d_a) for the block at <paramref name="w"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block(Vector256<float> acc, byte* w, byte* a, float* halfTable)
    {
        var dot = SimdInt8.MultiplySumUnsigned(TBlocks.Levels(w), Vector256.Load((sbyte*)(a + 4)));
        return Fma.MultiplyAdd(Avx.ConvertToVector256Single(dot), Vector256.Create(halfTable[*(ushort*)w] * halfTable[*(ushort*)a]), acc);
    }

    /// <summary>The block's m s_a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Offset(byte* w, byte* a, float* halfTable) => halfTable[*(ushort*)(w + 2)] * halfTable[*(ushort*)(a + 2)];
}
