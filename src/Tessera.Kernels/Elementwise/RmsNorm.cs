using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Elementwise;

/// <summary>RMS normalisation: y = x / sqrt(mean(x^2) + epsilon) * weight, and the same fused with the residual add
/// before it (<see cref="AddApplyRows"/>).</summary>
public static class RmsNorm
{
    /// <summary>Normalises one row; <paramref name="output"/> may be <paramref name="x"/>.</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> output)
    {
        Check(x.Length, weight.Length, output.Length);
        if (x.IsEmpty)
            return;
        Scale(x, weight, SumOfSquares(x, default, add: false, default), epsilon, output);
    }

    /// <summary>Normalises each row of <paramref name="x"/> [rows, weight.Length] with the same weight.</summary>
    public static void ApplyRows(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> output)
    {
        int width = CheckRows(x.Length, weight.Length, output.Length);
        for (int start = 0; start < x.Length; start += width)
            Apply(x.Slice(start, width), weight, epsilon, output.Slice(start, width));
    }

    /// <summary>
    /// The residual add and the next norm in one: x += residual, then output = rmsnorm(x) row by row, with the sum of
    /// squares taken in the same pass as the add (two passes over a row where the add and the norm take four). The
    /// result is bit for bit that of the add followed by <see cref="ApplyRows"/>: both sum the squares the same way.
    /// </summary>
    public static void AddApplyRows(Span<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> weight, float epsilon, Span<float> output)
    {
        int width = CheckRows(x.Length, weight.Length, output.Length);
        if (residual.Length != x.Length)
            throw new ArgumentException($"residual has {residual.Length} elements, x has {x.Length}", nameof(residual));
        for (int start = 0; start < x.Length; start += width)
        {
            var row = x.Slice(start, width);
            float sum = SumOfSquares(row, residual.Slice(start, width), add: true, row);
            Scale(row, weight, sum, epsilon, output.Slice(start, width));
        }
    }

    private static void Check(int length, int weightLength, int outputLength)
    {
        if (weightLength != length)
            throw new ArgumentException($"weight has {weightLength} elements, the row has {length}", "weight");
        if (outputLength < length)
            throw new ArgumentException($"output has {outputLength} elements, needs {length}", "output");
    }

    private static int CheckRows(int length, int width, int outputLength)
    {
        if (width == 0 || length % width != 0)
            throw new ArgumentException($"input of {length} elements is not whole rows of {width}", "x");
        if (outputLength < length)
            throw new ArgumentException($"output has {outputLength} elements, needs {length}", "output");
        return width;
    }

    /// <summary>Σ v^2 over v = x (or, with <paramref name="add"/>, v = x + residual, stored to <paramref name="sum"/>),
    /// in one fixed order: eight-wide partial sums, then the lanes, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float SumOfSquares(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, bool add, Span<float> sum)
    {
        ref float xs = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref xs, (nuint)i);
            if (add)
            {
                v += Vector256.Create(residual.Slice(i, 8));
                v.CopyTo(sum.Slice(i, 8));
            }
            acc = Vector256.MultiplyAddEstimate(v, v, acc);
        }
        float total = Vector256.Sum(acc);
        for (; i < x.Length; i++)
        {
            float v = x[i];
            if (add)
            {
                v += residual[i];
                sum[i] = v;
            }
            total = MathF.FusedMultiplyAdd(v, v, total);
        }
        return total;
    }

    /// <summary>output = (x * (1 / sqrt(sumOfSquares / n + epsilon))) * weight, in one pass.</summary>
    private static void Scale(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float sumOfSquares, float epsilon, Span<float> output)
    {
        float scale = 1f / MathF.Sqrt(sumOfSquares / x.Length + epsilon);
        var scales = Vector256.Create(scale);
        int i = 0;
        for (; i + 8 <= x.Length; i += 8)
            (Vector256.Create(x.Slice(i, 8)) * scales * Vector256.Create(weight.Slice(i, 8))).CopyTo(output.Slice(i, 8));
        for (; i < x.Length; i++)
            output[i] = x[i] * scale * weight[i];
    }
}
