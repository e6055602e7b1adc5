using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// Every tolerance of the kernel tests, per type family. Errors are measured relative to sum |w_i * x_i| (the
/// magnitude the accumulation works with), so one number fits rows of any length and cancellation.
/// </summary>
internal static class Tolerances
{
    /// <summary>SIMD path vs scalar reference: same integer block sums, only the float accumulation order differs.</summary>
    public const double SimdVsScalar = 1e-5;

    /// <summary>
    /// Kernel vs float64 dot of the dequantized weight and dequantized activation rows. The integer kernels are exact
    /// per block, so only float rounding of scale products and sums remains — except with Q8_1 activations, whose
    /// precomputed s = d * sum(q) is stored as a half (relative error up to 2^-11 on the minimum's term m * s). That
    /// term is bounded by max|w| * Σ|x| per block, which random rows put at up to a few times Σ|w x| (a seed with
    /// |m * s| ~ 1.1 x the magnitude in both blocks of a row measured 1.2e-3), hence 3e-3; a wrong quant costs ~1e-2.
    /// </summary>
    public static double VsDequantized(GgmlType activationType) => activationType == GgmlType.Q8_1 ? 3e-3 : 2e-5;

    /// <summary>
    /// BF16 weights through <c>vdpbf16ps</c> (<see cref="Quants.BF16.BF16PairTile"/>, <see cref="Quants.RowPairTile"/>)
    /// vs float64 with the original F32 activations: the activations are rounded to BF16 first (8 significant bits), a
    /// relative error of at most 2^-8 per term, so at most 2^-8 of Σ|w x|. Random signs leave far less over long rows,
    /// but short ones (11 values, one term dominating) passed 2e-3, hence the bound itself; a wrong pairing of weights
    /// and activations costs ~1e-1.
    /// </summary>
    public const double Bfloat16Activations = 4e-3;

    /// <summary>
    /// <see cref="MatMul.Compute"/> vs float64 for <paramref name="tokens"/> tokens of rows of <paramref name="k"/>:
    /// <see cref="Bfloat16Activations"/> where BF16 weights take a <c>vdpbf16ps</c> path (2-16 tokens through
    /// <see cref="RowPairMatMul"/>, more through <see cref="Quants.BF16.BF16PairTile"/>'s panels for even k), else
    /// <see cref="VsDequantized"/> for the weight type's activations.
    /// </summary>
    public static double ForMatMul(GgmlType weightType, int k, int tokens)
    {
        var kernel = Quants.QuantKernels.Get(weightType);
        bool rounded = weightType == GgmlType.BF16
            && (RowPairMatMul.Applies(weightType, tokens) || (FloatMatMul.TakesPairTile(kernel, k) && tokens >= FloatMatMul.MinTokens));
        return rounded ? Bfloat16Activations : VsDequantized(MatVec.ActivationTypeFor(weightType));
    }

    /// <summary>Element-wise kernels (RMSNorm, RoPE, SwiGLU, softmax) vs float64, relative per element.</summary>
    public const double Elementwise = 2e-5;

    /// <summary>Attention vs a naive float64 softmax(QK^T/sqrt(d))V, absolute on values of order 1.</summary>
    public const double Attention = 2e-4;

    /// <summary>
    /// Kernel with quantized activations vs float64 dot of the dequantized weight row with the original F32
    /// activations: adds the activation quantization error (half a step of 1/127 of a block's largest value).
    /// </summary>
    public static double VsFloatActivations(GgmlType activationType) => activationType switch
    {
        GgmlType.F32 => 1e-5,
        GgmlType.Q8_0 or GgmlType.Q8_1 or GgmlType.Q8_K => 1e-2,
        _ => throw new ArgumentOutOfRangeException(nameof(activationType)),
    };

    public static double Relative(double got, double expected, double magnitude) =>
        Math.Abs(got - expected) / Math.Max(magnitude, 1e-30);
}
