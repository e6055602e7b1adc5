namespace Tessera.Kernels.Elementwise;

/// <summary>
/// GELU in its tanh form, gelu(x) = x/2 · (1 + tanh(sqrt(2/pi) · (x + 0.044715 x^3))), the one ggml (and so GGUF BERT
/// models run by llama.cpp) uses; it is within 1e-3 of the erf form everywhere.
/// </summary>
public static class Gelu
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float Cubic = 0.044715f;

    /// <summary>output = gelu(x); output may be x.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> output)
    {
        if (output.Length < x.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {x.Length}", nameof(output));
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            output[i] = 0.5f * v * (1f + MathF.Tanh(SqrtTwoOverPi * v * (1f + Cubic * v * v)));
        }
    }
}
