namespace Tessera.Tensors.Tests;

/// <summary>
/// Expected relative RMS error, rms(dequantized - original) / rms(original), of each storage type on
/// weight-like data (normally distributed, as the shared random-weight models and most trained weights are).
///
/// Where the bounds come from: a uniform quantizer with step Δ adds noise of RMS Δ/√12. For Gaussian blocks
/// of 32 the largest |x| is about 2.1σ, so e.g. Q8_0 (Δ = max/127) gives ≈ 0.005 and Q4_0 (Δ = max/8)
/// ≈ 0.08. The K-quants and IQ4_NL have no simple closed form; their bounds, like the others, are the largest
/// per-tensor error measured on the shared quantized models (made by an independent quantizer) plus about
/// 8-10 % headroom. Our own quantizer measures at or below those (see SharedModelQuantTests).
/// </summary>
internal static class Tolerances
{
    /// <summary>
    /// Allowance for measuring on few blocks: the per-block error varies about as much as its mean (one
    /// 32-value block may hold a 4-5σ value that stretches its scale), so an estimate from n blocks is off by
    /// roughly 1/√n relative; allow 1.5 of those.
    /// </summary>
    public static double SampleFactor(int blockCount) => 1 + 1.5 / Math.Sqrt(blockCount);

    /// <summary>Our K-quant and IQ4_NL quantizer may be worse than the shared file's by at most this factor.</summary>
    public const double KQuantVersusReference = 1.02;

    public static double RelativeRms(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,        // a copy
        GgmlType.F16 => 0.0005,   // 11 significant bits: relative rounding error ≤ 2^-11 per value
        GgmlType.BF16 => 0.004,   // 8 significant bits: relative rounding error ≤ 2^-8 per value
        GgmlType.Q8_0 => 0.0065,  // measured 0.0054 (Δ = max/127)
        GgmlType.Q8_1 => 0.0065,  // same quants as Q8_0
        GgmlType.Q8_K => 0.008,   // Δ = max/127 over blocks of 256 (max ≈ 2.8σ): ≈ 0.0064
        GgmlType.Q6_K => 0.0195,  // measured 0.0179
        GgmlType.Q5_1 => 0.042,   // measured 0.0380
        GgmlType.Q5_K => 0.040,   // measured 0.0364
        GgmlType.Q5_0 => 0.048,   // measured 0.0431
        GgmlType.Q4_K => 0.079,   // measured 0.0720
        GgmlType.IQ4_NL => 0.084, // measured 0.0764
        GgmlType.Q4_1 => 0.087,   // measured 0.0790
        GgmlType.Q4_0 => 0.095,   // measured 0.0866
        GgmlType.Q3_K => 0.165,   // measured 0.1518
        GgmlType.Q2_K => 0.32,    // measured 0.2984
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no tolerance for this type"),
    };
}
