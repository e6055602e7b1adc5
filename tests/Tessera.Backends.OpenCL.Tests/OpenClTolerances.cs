namespace Tessera.Backends.OpenCL.Tests;

/// <summary>Every tolerance of the OpenCL tests, with why it is what it is.</summary>
internal static class OpenClTolerances
{
    /// <summary>
    /// Matrix products vs a float64 dot of the dequantized weights with the F32 activations, relative to Σ|w·x| of the
    /// row. The device decodes every block exactly as the scalar reference (same float operations) and keeps the
    /// activations in F32, so only float accumulation order differs: ~sqrt(k)·2^-24 typical, well under 1e-5 for the
    /// column counts tested; one wrong quant in a row costs ~1e-3.
    /// </summary>
    public const double Linear = 1e-5;

    /// <summary>
    /// Element-wise kernels vs CpuDevice, relative per element (|a - b| ≤ tol·(1 + |b|)): the same float formula in the
    /// same order; only sum order (RmsNorm, softmax), the device's exp/sqrt (OpenCL allows a few ulp) and fused
    /// multiply-adds differ.
    /// </summary>
    public const double Elementwise = 1e-5;

    /// <summary>RoPE vs CpuDevice: the host computes the same cos/sin table in double, so only the final multiply-add
    /// rounds differently (values of order 1).</summary>
    public const double Rope = 1e-6;

    /// <summary>Attention with an F32 cache vs CpuDevice, absolute on outputs of order 1: online softmax in both, but a
    /// different chunking of the positions and exp implementation.</summary>
    public const double AttentionF32 = 1e-4;

    /// <summary>
    /// Attention with an F16 cache vs CpuDevice: both round keys and values to half with round-to-nearest-even (so the
    /// caches hold the same halves), but results pass through half-precision products in a different order; 1e-3 is
    /// the equivalence bound the runtime accepts between devices.
    /// </summary>
    public const double AttentionF16 = 1e-3;

    /// <summary>Gather and scatter-add move values and do at most one multiply-add per element: exact or one rounding.</summary>
    public const double Rows = 1e-6;
}
