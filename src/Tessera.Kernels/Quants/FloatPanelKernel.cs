using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants;

/// <summary>
/// The register tile of <see cref="FloatMatMul"/>: 8 F32 weight rows x one token panel, in outer-product form. A
/// panel holds <see cref="Width"/> tokens' activations laid out [k][Width], so for each k one or two vector loads
/// give the panel's values and each row's weight is broadcast from memory against them. Accumulators hold results for
/// consecutive tokens of one row, so there is no horizontal sum at the end, and no conversion or reduction work
/// inside the loop (AVX-512: 8 rows x 32 tokens in 16 zmm accumulators; AVX2: two passes of 4 rows x 16 or 24 tokens
/// in 8 or 12 ymm accumulators, within its 16 registers).
/// </summary>
internal static unsafe class FloatPanelKernel
{
    /// <summary>Weight rows per tile.</summary>
    public const int Rows = 8;

    public static bool IsSupported => IsaSupport.Avx2;

    /// <summary>Tokens per panel: two vectors of this CPU's widest float path (the attention's panels).</summary>
    public static int Width => IsaSupport.Avx512 ? 32 : 16;

    /// <summary>
    /// Tokens per narrow panel of the matmul: 16 on both paths. With AVX-512 a 16-token panel takes an 8 x 16 tile (one
    /// zmm per row), so a batch of 9-16 tokens no longer pads a 32-token panel with as many zeros as it has tokens
    /// (F16 pp16 ran at 0.62 of llama.cpp); its eight accumulators keep the FMA units about as busy as AVX2's 4 x 16.
    /// </summary>
    public const int NarrowWidth = 16;

    /// <summary>
    /// Tokens per panel of the wide AVX2 tile, 4 rows x 24 tokens. Two FMA ports with four cycles' latency need eight
    /// independent sums in flight; the 4 x 16 tile has exactly eight and ran at 89-90% of the FMA peak, the 4 x 24
    /// one with twelve at 97-98% (one thread, data in L2). With AVX-512 it is <see cref="Width"/>.
    /// </summary>
    public static int WideWidth => IsaSupport.Avx512 ? 32 : 24;

    /// <summary>
    /// How a product of <paramref name="tokens"/> tokens is cut into panels: <c>Wide</c> panels of
    /// <see cref="WideWidth"/> tokens, then <c>Narrow</c> ones of <see cref="NarrowWidth"/> (AVX2: 24 and 16; AVX-512:
    /// 32 and 16), the cut whose padded tokens cost least, a narrow token counted 10% dearer (its tile runs at 89-90% of
    /// the FMA peak, the wide one at 97-98%). So 512 tokens take 20 x 24 + 2 x 16 on AVX2 with no padding where 22 x 24
    /// padded 16, and 8 or 16 tokens one panel of 16. At most two are narrow: two narrow panels cost more than one wide
    /// one on AVX-512, and three hold what two wide ones do on AVX2.
    /// </summary>
    public static (int Wide, int Narrow) PanelsFor(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        int wideWidth = WideWidth, narrowWidth = NarrowWidth;
        (int Wide, int Narrow) best = default;
        double bestCost = double.MaxValue;
        for (int narrow = 0; narrow <= 2; narrow++)
        {
            int wide = (Math.Max(0, tokens - narrow * narrowWidth) + wideWidth - 1) / wideWidth;
            double cost = wide * wideWidth + 1.1 * narrow * narrowWidth;
            if (cost < bestCost)
                (best, bestCost) = ((wide, narrow), cost);
        }
        return best;
    }

    /// <summary>c[r * Width + t] = Σ_i w[r * weightStride + i] · panel[i * Width + t] for r &lt; 8, t &lt; Width.</summary>
    /// <param name="weights">8 rows of k floats, <paramref name="weightStride"/> floats apart</param>
    /// <param name="panel">[k][Width] activations</param>
    /// <param name="c">[8][Width] results</param>
    public static void Tile(float* weights, nint weightStride, float* panel, int k, float* c) =>
        Tile(weights, weightStride, panel, k, c, Width);

    /// <summary>The same for a panel of <paramref name="width"/> tokens: <see cref="Width"/>, <see cref="WideWidth"/>
    /// or <see cref="NarrowWidth"/> (<see cref="PanelsFor"/>); c is [8][width].</summary>
    public static void Tile(float* weights, nint weightStride, float* panel, int k, float* c, int width)
    {
        if (IsaSupport.Avx512)
        {
            if (width == NarrowWidth)
                Tile512Narrow(weights, weightStride, panel, k, c);
            else
                Tile512(weights, weightStride, panel, k, c);
        }
        else if (width == 24)
        {
            Tile256Wide(weights, weightStride, panel, k, c);
            Tile256Wide(weights + 4 * weightStride, weightStride, panel, k, c + 4 * 24);
        }
        else
        {
            Tile256(weights, weightStride, panel, k, c);
            Tile256(weights + 4 * weightStride, weightStride, panel, k, c + 4 * 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(float* weights, nint stride, float* panel, int k, float* c)
    {
        float* w0 = weights, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        float* w4 = w3 + stride, w5 = w4 + stride, w6 = w5 + stride, w7 = w6 + stride;
        Vector512<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default;
        Vector512<float> a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default;
        Vector512<float> a6 = default, b6 = default, a7 = default, b7 = default;
        for (int i = 0; i < k; i++, panel += 32)
        {
            var x0 = Vector512.Load(panel);
            var x1 = Vector512.Load(panel + 16);
            var v = Vector512.Create(w0[i]);
            a0 = Avx512F.FusedMultiplyAdd(v, x0, a0); b0 = Avx512F.FusedMultiplyAdd(v, x1, b0);
            v = Vector512.Create(w1[i]);
            a1 = Avx512F.FusedMultiplyAdd(v, x0, a1); b1 = Avx512F.FusedMultiplyAdd(v, x1, b1);
            v = Vector512.Create(w2[i]);
            a2 = Avx512F.FusedMultiplyAdd(v, x0, a2); b2 = Avx512F.FusedMultiplyAdd(v, x1, b2);
            v = Vector512.Create(w3[i]);
            a3 = Avx512F.FusedMultiplyAdd(v, x0, a3); b3 = Avx512F.FusedMultiplyAdd(v, x1, b3);
            v = Vector512.Create(w4[i]);
            a4 = Avx512F.FusedMultiplyAdd(v, x0, a4); b4 = Avx512F.FusedMultiplyAdd(v, x1, b4);
            v = Vector512.Create(w5[i]);
            a5 = Avx512F.FusedMultiplyAdd(v, x0, a5); b5 = Avx512F.FusedMultiplyAdd(v, x1, b5);
            v = Vector512.Create(w6[i]);
            a6 = Avx512F.FusedMultiplyAdd(v, x0, a6); b6 = Avx512F.FusedMultiplyAdd(v, x1, b6);
            v = Vector512.Create(w7[i]);
            a7 = Avx512F.FusedMultiplyAdd(v, x0, a7); b7 = Avx512F.FusedMultiplyAdd(v, x1, b7);
        }
        a0.Store(c); b0.Store(c + 16); a1.Store(c + 32); b1.Store(c + 48);
        a2.Store(c + 64); b2.Store(c + 80); a3.Store(c + 96); b3.Store(c + 112);
        a4.Store(c + 128); b4.Store(c + 144); a5.Store(c + 160); b5.Store(c + 176);
        a6.Store(c + 192); b6.Store(c + 208); a7.Store(c + 224); b7.Store(c + 240);
    }

    /// <summary>8 rows x 16 tokens with AVX-512 (a narrow panel): c[r * 16 + t], one zmm accumulator per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512Narrow(float* weights, nint stride, float* panel, int k, float* c)
    {
        float* w0 = weights, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        float* w4 = w3 + stride, w5 = w4 + stride, w6 = w5 + stride, w7 = w6 + stride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
        for (int i = 0; i < k; i++, panel += NarrowWidth)
        {
            var x = Vector512.Load(panel);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(w0[i]), x, a0);
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(w1[i]), x, a1);
            a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(w2[i]), x, a2);
            a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(w3[i]), x, a3);
            a4 = Avx512F.FusedMultiplyAdd(Vector512.Create(w4[i]), x, a4);
            a5 = Avx512F.FusedMultiplyAdd(Vector512.Create(w5[i]), x, a5);
            a6 = Avx512F.FusedMultiplyAdd(Vector512.Create(w6[i]), x, a6);
            a7 = Avx512F.FusedMultiplyAdd(Vector512.Create(w7[i]), x, a7);
        }
        a0.Store(c); a1.Store(c + 16); a2.Store(c + 32); a3.Store(c + 48);
        a4.Store(c + 64); a5.Store(c + 80); a6.Store(c + 96); a7.Store(c + 112);
    }

    /// <summary>4 rows x 16 tokens (a panel of 16): c[r * 16 + t].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256(float* weights, nint stride, float* panel, int k, float* c)
    {
        float* w0 = weights, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default;
        Vector256<float> a2 = default, b2 = default, a3 = default, b3 = default;
        for (int i = 0; i < k; i++, panel += 16)
        {
            var x0 = Avx.LoadVector256(panel);
            var x1 = Avx.LoadVector256(panel + 8);
            var v = Vector256.Create(w0[i]);
            a0 = Fma.MultiplyAdd(v, x0, a0); b0 = Fma.MultiplyAdd(v, x1, b0);
            v = Vector256.Create(w1[i]);
            a1 = Fma.MultiplyAdd(v, x0, a1); b1 = Fma.MultiplyAdd(v, x1, b1);
            v = Vector256.Create(w2[i]);
            a2 = Fma.MultiplyAdd(v, x0, a2); b2 = Fma.MultiplyAdd(v, x1, b2);
            v = Vector256.Create(w3[i]);
            a3 = Fma.MultiplyAdd(v, x0, a3); b3 = Fma.MultiplyAdd(v, x1, b3);
        }
        a0.Store(c); b0.Store(c + 8); a1.Store(c + 16); b1.Store(c + 24);
        a2.Store(c + 32); b2.Store(c + 40); a3.Store(c + 48); b3.Store(c + 56);
    }

    /// <summary>4 rows x 24 tokens (a panel of 24): c[r * 24 + t]. Twelve accumulators, three panel vectors and the
    /// broadcast fill the 16 ymm registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256Wide(float* weights, nint stride, float* panel, int k, float* c)
    {
        float* w0 = weights, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride;
        Vector256<float> a0 = default, b0 = default, d0 = default, a1 = default, b1 = default, d1 = default;
        Vector256<float> a2 = default, b2 = default, d2 = default, a3 = default, b3 = default, d3 = default;
        for (int i = 0; i < k; i++, panel += 24)
        {
            var x0 = Avx.LoadVector256(panel);
            var x1 = Avx.LoadVector256(panel + 8);
            var x2 = Avx.LoadVector256(panel + 16);
            var v = Vector256.Create(w0[i]);
            a0 = Fma.MultiplyAdd(v, x0, a0); b0 = Fma.MultiplyAdd(v, x1, b0); d0 = Fma.MultiplyAdd(v, x2, d0);
            v = Vector256.Create(w1[i]);
            a1 = Fma.MultiplyAdd(v, x0, a1); b1 = Fma.MultiplyAdd(v, x1, b1); d1 = Fma.MultiplyAdd(v, x2, d1);
            v = Vector256.Create(w2[i]);
            a2 = Fma.MultiplyAdd(v, x0, a2); b2 = Fma.MultiplyAdd(v, x1, b2); d2 = Fma.MultiplyAdd(v, x2, d2);
            v = Vector256.Create(w3[i]);
            a3 = Fma.MultiplyAdd(v, x0, a3); b3 = Fma.MultiplyAdd(v, x1, b3); d3 = Fma.MultiplyAdd(v, x2, d3);
        }
        a0.Store(c); b0.Store(c + 8); d0.Store(c + 16); a1.Store(c + 24); b1.Store(c + 32); d1.Store(c + 40);
        a2.Store(c + 48); b2.Store(c + 56); d2.Store(c + 64); a3.Store(c + 72); b3.Store(c + 80); d3.Store(c + 88);
    }
}
