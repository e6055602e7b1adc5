using System.Numerics.Tensors;

namespace Tessera.Kernels.Elementwise;

/// <summary>RMS normalisation: y = x / sqrt(mean(x^2) + epsilon) * weight.</summary>
public static class RmsNorm
{
    /// <summary>Normalises one row; <paramref name="output"/> may be <paramref name="x"/>.</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> output)
    {
        if (weight.Length != x.Length)
            throw new ArgumentException($"weight has {weight.Length} elements, the row has {x.Length}", nameof(weight));
        if (output.Length < x.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {x.Length}", nameof(output));
        if (x.IsEmpty)
            return;
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + epsilon);
        TensorPrimitives.Multiply(x, scale, output[..x.Length]);
        TensorPrimitives.Multiply(output[..x.Length], weight, output[..x.Length]);
    }

    /// <summary>Normalises each row of <paramref name="x"/> [rows, weight.Length] with the same weight.</summary>
    public static void ApplyRows(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> output)
    {
        int width = weight.Length;
        if (width == 0 || x.Length % width != 0)
            throw new ArgumentException($"input of {x.Length} elements is not whole rows of {width}", nameof(x));
        if (output.Length < x.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {x.Length}", nameof(output));
        for (int start = 0; start < x.Length; start += width)
            Apply(x.Slice(start, width), weight, epsilon, output.Slice(start, width));
    }
}
