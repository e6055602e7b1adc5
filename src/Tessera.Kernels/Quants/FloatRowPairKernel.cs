using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants;

/// <summary>
/// Small batches of float weights (F32, F16, BF16) with AVX-512: 2 weight rows x 8 (or 4) tokens of F32 activations
/// over a range of k. Each 16-value slice of a row is loaded and converted once for all the tokens, and each token's
/// slice loaded once for both rows, into 16 zmm accumulators (one per row and token), summed across lanes at the
/// end. Tokens past <c>valid</c> repeat the last valid one and are not stored, so 5-7 tokens take one 8-token call.
/// <c>y[t * yStride + r * secondRow]</c> (r &lt; 2, t &lt; valid) is set to, or with <c>accumulate</c> increased by, the
/// range's sum.
/// </summary>
internal static unsafe class FloatRowPairKernel<TRows> where TRows : IFloatRows
{
    public const int Rows = 2;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute<TTokens>(byte* weights, nint weightStride, float* x, nint xStride, int valid, int from, int to,
        float* y, nint yStride, nint secondRow, bool accumulate) where TTokens : ITokenCount
    {
        bool eight = TTokens.Count == 8;
        byte* w0 = weights, w1 = weights + weightStride;
        float* x0 = x, x1 = Token(x, xStride, 1, valid), x2 = Token(x, xStride, 2, valid), x3 = Token(x, xStride, 3, valid);
        float* x4 = eight ? Token(x, xStride, 4, valid) : x3, x5 = eight ? Token(x, xStride, 5, valid) : x3;
        float* x6 = eight ? Token(x, xStride, 6, valid) : x3, x7 = eight ? Token(x, xStride, 7, valid) : x3;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        int i = from;
        for (; i + 16 <= to; i += 16)
        {
            var r0 = TRows.Load16(w0, i);
            var r1 = TRows.Load16(w1, i);
            var t = Vector512.Load(x0 + i); a0 = Avx512F.FusedMultiplyAdd(r0, t, a0); b0 = Avx512F.FusedMultiplyAdd(r1, t, b0);
            t = Vector512.Load(x1 + i); a1 = Avx512F.FusedMultiplyAdd(r0, t, a1); b1 = Avx512F.FusedMultiplyAdd(r1, t, b1);
            t = Vector512.Load(x2 + i); a2 = Avx512F.FusedMultiplyAdd(r0, t, a2); b2 = Avx512F.FusedMultiplyAdd(r1, t, b2);
            t = Vector512.Load(x3 + i); a3 = Avx512F.FusedMultiplyAdd(r0, t, a3); b3 = Avx512F.FusedMultiplyAdd(r1, t, b3);
            if (eight)
            {
                t = Vector512.Load(x4 + i); a4 = Avx512F.FusedMultiplyAdd(r0, t, a4); b4 = Avx512F.FusedMultiplyAdd(r1, t, b4);
                t = Vector512.Load(x5 + i); a5 = Avx512F.FusedMultiplyAdd(r0, t, a5); b5 = Avx512F.FusedMultiplyAdd(r1, t, b5);
                t = Vector512.Load(x6 + i); a6 = Avx512F.FusedMultiplyAdd(r0, t, a6); b6 = Avx512F.FusedMultiplyAdd(r1, t, b6);
                t = Vector512.Load(x7 + i); a7 = Avx512F.FusedMultiplyAdd(r0, t, a7); b7 = Avx512F.FusedMultiplyAdd(r1, t, b7);
            }
        }
        Store(y, yStride, secondRow, 0, valid, accumulate, a0, b0, w0, w1, x0, i, to);
        Store(y, yStride, secondRow, 1, valid, accumulate, a1, b1, w0, w1, x1, i, to);
        Store(y, yStride, secondRow, 2, valid, accumulate, a2, b2, w0, w1, x2, i, to);
        Store(y, yStride, secondRow, 3, valid, accumulate, a3, b3, w0, w1, x3, i, to);
        if (eight)
        {
            Store(y, yStride, secondRow, 4, valid, accumulate, a4, b4, w0, w1, x4, i, to);
            Store(y, yStride, secondRow, 5, valid, accumulate, a5, b5, w0, w1, x5, i, to);
            Store(y, yStride, secondRow, 6, valid, accumulate, a6, b6, w0, w1, x6, i, to);
            Store(y, yStride, secondRow, 7, valid, accumulate, a7, b7, w0, w1, x7, i, to);
        }
    }

    /// <summary>Token t's activations, or the last valid token's past the valid ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Token(float* x, nint xStride, int t, int valid) => x + Math.Min(t, valid - 1) * xStride;

    /// <summary>Token t's two results: the lanes summed, plus the values past the last whole slice one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* y, nint yStride, nint secondRow, int t, int valid, bool accumulate, Vector512<float> a, Vector512<float> b,
        byte* w0, byte* w1, float* x, int from, int to)
    {
        if (t >= valid)
            return;
        float first = Vector512.Sum(a), second = Vector512.Sum(b);
        for (int i = from; i < to; i++)
        {
            first += TRows.Load1(w0, i) * x[i];
            second += TRows.Load1(w1, i) * x[i];
        }
        float* target = y + t * yStride;
        target[0] = accumulate ? target[0] + first : first;
        target[secondRow] = accumulate ? target[secondRow] + second : second;
    }
}
