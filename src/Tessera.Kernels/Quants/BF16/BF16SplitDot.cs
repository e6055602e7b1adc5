using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;

namespace Tessera.Kernels.Quants.BF16;

/// <summary>
/// BF16 weight row · prepared F32 activations for decode. A bfloat16 is the top half of its float, so vpunpcklwd /
/// vpunpckhwd of zero and the weights build the floats of 16 or 32 weights in two instructions, where widening
/// (vpmovzxwd) and shifting take four; the floats come out in the unpacks' order, so the activations are stored in
/// that order once per token (<see cref="Prepare"/>, <see cref="UnpackOrder"/>). Every bfloat16 value, Inf and NaN
/// included, is exact this way. AVX2 TinyLlama-shape BF16 decode: 21.9 -> see docs/PERFORMANCE.md.
/// </summary>
internal static unsafe class BF16SplitDot
{
    public const int BlockSize = UnpackOrder.BlockSize;

    public static bool IsSupported => IsaSupport.Avx2;

    /// <summary>x[k] (k a multiple of 32) in the order the dot's unpacks produce.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prepare(float* x, int k, byte* destination) => UnpackOrder.Arrange(x, k, (float*)destination, 1f, IsaSupport.Avx512);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k) =>
        IsaSupport.Avx512 ? Dot512(weights, activations, k) : Dot256(weights, activations, k);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot256(byte* weights, byte* activations, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)activations;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        var zero = Vector256<ushort>.Zero;
        for (int i = 0; i < k; i += BlockSize)
        {
            WeightPrefetch.Stream((byte*)(w + i), 64);
            var h0 = Vector256.Load(w + i);
            var h1 = Vector256.Load(w + i + 16);
            acc0 = Fma.MultiplyAdd(Avx2.UnpackLow(zero, h0).AsSingle(), Vector256.Load(a + i), acc0);
            acc1 = Fma.MultiplyAdd(Avx2.UnpackHigh(zero, h0).AsSingle(), Vector256.Load(a + i + 8), acc1);
            acc2 = Fma.MultiplyAdd(Avx2.UnpackLow(zero, h1).AsSingle(), Vector256.Load(a + i + 16), acc2);
            acc3 = Fma.MultiplyAdd(Avx2.UnpackHigh(zero, h1).AsSingle(), Vector256.Load(a + i + 24), acc3);
        }
        return Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot512(byte* weights, byte* activations, int k)
    {
        ushort* w = (ushort*)weights;
        float* a = (float*)activations;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        var zero = Vector512<ushort>.Zero;
        for (int i = 0; i < k; i += BlockSize)
        {
            WeightPrefetch.Stream((byte*)(w + i), 64);
            var h = Vector512.Load(w + i);
            acc0 = Avx512F.FusedMultiplyAdd(Avx512BW.UnpackLow(zero, h).AsSingle(), Vector512.Load(a + i), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Avx512BW.UnpackHigh(zero, h).AsSingle(), Vector512.Load(a + i + 16), acc1);
        }
        return Vector512.Sum(acc0 + acc1);
    }
}
