using System.Numerics.Tensors;

namespace Tessera.Kernels.Elementwise;

/// <summary>Numerically stable softmax: exp(x - max) / sum(exp(x - max)).</summary>
public static class Softmax
{
    /// <summary>Softmax of <paramref name="x"/> into <paramref name="output"/> (may be the same span).</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> output)
    {
        if (output.Length < x.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {x.Length}", nameof(output));
        if (x.IsEmpty)
            return;
        var result = output[..x.Length];
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max))
            throw new ArgumentException("softmax of a row where every value is -infinity is undefined", nameof(x));
        TensorPrimitives.Subtract(x, max, result);
        TensorPrimitives.Exp(result, result);
        float sum = TensorPrimitives.Sum(result);
        TensorPrimitives.Multiply(result, 1f / sum, result);
    }

    /// <summary>In-place softmax.</summary>
    public static void Apply(Span<float> x) => Apply(x, x);
}
