using System.Numerics.Tensors;

namespace Tessera.Kernels.Elementwise;

/// <summary>Layer normalisation (BERT): y = (x - mean(x)) / sqrt(var(x) + epsilon) * weight + bias, per row.</summary>
public static class LayerNorm
{
    /// <summary>Normalises one row; <paramref name="output"/> may be <paramref name="x"/>.</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float epsilon, Span<float> output)
    {
        if (weight.Length != x.Length || bias.Length != x.Length)
            throw new ArgumentException($"weight has {weight.Length} and bias {bias.Length} elements, the row has {x.Length}", nameof(weight));
        if (output.Length < x.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {x.Length}", nameof(output));
        if (x.IsEmpty)
            return;
        var y = output[..x.Length];
        float mean = TensorPrimitives.Sum(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, y);
        // Variance of the centred row (two passes: no cancellation when |mean| >> std).
        float variance = TensorPrimitives.SumOfSquares(y) / x.Length;
        TensorPrimitives.Multiply(y, 1f / MathF.Sqrt(variance + epsilon), y);
        TensorPrimitives.FusedMultiplyAdd(y, weight, bias, y);
    }

    /// <summary>Normalises each row of <paramref name="x"/> [rows, weight.Length] with the same weight and bias.</summary>
    public static void ApplyRows(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float epsilon, Span<float> output)
    {
        int width = weight.Length;
        if (width == 0 || x.Length % width != 0)
            throw new ArgumentException($"input of {x.Length} elements is not whole rows of {width}", nameof(x));
        if (output.Length < x.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {x.Length}", nameof(output));
        for (int start = 0; start < x.Length; start += width)
            Apply(x.Slice(start, width), weight, bias, epsilon, output.Slice(start, width));
    }
}
