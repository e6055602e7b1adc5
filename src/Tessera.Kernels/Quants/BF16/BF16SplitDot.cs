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
    internal static float Dot256(byte* weights, byte* activations, int k)
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

    /// <summary>One row against two or three tokens' activations (<typeparamref name="TTokens"/>) a stride apart (256
    /// bits): each 32 weights widened once for all of them, each token's sums kept as <see cref="Dot256"/> keeps them,
    /// so the results are its bits. Where two or three tokens meet a row token by token (a batch of a few decode
    /// steps, busy server slots) the row is then read once. Each 16 weights are widened and used before the next 16,
    /// which keeps three tokens' twelve accumulators, two weight vectors and the zero in AVX2's sixteen registers; two
    /// tokens ran level with a form that widened all 32 first (paired, rows in L2 and from memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotMany<TTokens>(byte* weights, byte* activations, nint stride, int k, float* results) where TTokens : ITokenCount
    {
        bool three = TTokens.Count == 3;
        ushort* w = (ushort*)weights;
        float* a = (float*)activations;
        float* b = (float*)(activations + stride);
        float* c = (float*)(activations + 2 * stride);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        var zero = Vector256<ushort>.Zero;
        for (int i = 0; i < k; i += BlockSize)
        {
            WeightPrefetch.Stream((byte*)(w + i), 64);
            var h = Vector256.Load(w + i);
            var w0 = Avx2.UnpackLow(zero, h).AsSingle();
            var w1 = Avx2.UnpackHigh(zero, h).AsSingle();
            a0 = Fma.MultiplyAdd(w0, Vector256.Load(a + i), a0);
            a1 = Fma.MultiplyAdd(w1, Vector256.Load(a + i + 8), a1);
            b0 = Fma.MultiplyAdd(w0, Vector256.Load(b + i), b0);
            b1 = Fma.MultiplyAdd(w1, Vector256.Load(b + i + 8), b1);
            if (three)
            {
                c0 = Fma.MultiplyAdd(w0, Vector256.Load(c + i), c0);
                c1 = Fma.MultiplyAdd(w1, Vector256.Load(c + i + 8), c1);
            }
            h = Vector256.Load(w + i + 16);
            w0 = Avx2.UnpackLow(zero, h).AsSingle();
            w1 = Avx2.UnpackHigh(zero, h).AsSingle();
            a2 = Fma.MultiplyAdd(w0, Vector256.Load(a + i + 16), a2);
            a3 = Fma.MultiplyAdd(w1, Vector256.Load(a + i + 24), a3);
            b2 = Fma.MultiplyAdd(w0, Vector256.Load(b + i + 16), b2);
            b3 = Fma.MultiplyAdd(w1, Vector256.Load(b + i + 24), b3);
            if (three)
            {
                c2 = Fma.MultiplyAdd(w0, Vector256.Load(c + i + 16), c2);
                c3 = Fma.MultiplyAdd(w1, Vector256.Load(c + i + 24), c3);
            }
        }
        results[0] = Vector256.Sum((a0 + a1) + (a2 + a3));
        results[1] = Vector256.Sum((b0 + b1) + (b2 + b3));
        if (three)
            results[2] = Vector256.Sum((c0 + c1) + (c2 + c3));
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
