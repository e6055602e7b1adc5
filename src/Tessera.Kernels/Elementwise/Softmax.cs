using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
        float sum = ExpOfDifferenceAndSum(x, max, result);
        TensorPrimitives.Multiply(result, 1f / sum, result);
    }

    /// <summary>
    /// destination[j] = exp(x[j] - max) (the spans may be the same), returning their sum: one pass with the vector
    /// exponential instead of three library calls, whose per-call cost dominated on attention's chunks of 16-32
    /// positions (stories260K: subtract, exp and sum were 12% of a prompt's profile). A tail shorter than a vector
    /// goes through one vector padded with -inf.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ExpOfDifferenceAndSum(ReadOnlySpan<float> x, float max, Span<float> destination)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            TensorPrimitives.Subtract(x, max, destination);
            TensorPrimitives.Exp(destination[..x.Length], destination);
            return TensorPrimitives.Sum(destination[..x.Length]);
        }
        var shift = Vector256.Create(max);
        var sum = Vector256<float>.Zero;
        int j = 0;
        for (; j + Vector256<float>.Count <= x.Length; j += Vector256<float>.Count)
        {
            var weights = Vector256.Exp(Vector256.Create<float>(x.Slice(j, Vector256<float>.Count)) - shift);
            weights.CopyTo(destination[j..]);
            sum += weights;
        }
        if (j < x.Length)
        {
            Span<float> padded = stackalloc float[Vector256<float>.Count];
            padded.Fill(float.NegativeInfinity);
            x[j..].CopyTo(padded);
            var weights = Vector256.Exp(Vector256.Create<float>(padded) - shift);   // exp(-inf) = 0 in the padding
            weights.CopyTo(padded);
            padded[..(x.Length - j)].CopyTo(destination[j..]);
            sum += weights;
        }
        return Vector256.Sum(sum);
    }

    /// <summary>In-place softmax.</summary>
    public static void Apply(Span<float> x) => Apply(x, x);
}
