using Tessera.Kernels;
using Tessera.Kernels.Threading;

namespace Tessera.Models.Blocks;

/// <summary>
/// The one seam between the model and the matrix kernels: y = x · W^T for a batch of token rows.
/// One token goes through the matrix-vector kernel, several through the matrix-matrix kernel; both read W in its
/// file type and quantize activations to the type W's integer dot product pairs with.
/// </summary>
public static unsafe class Linear
{
    /// <param name="x">[tokens, W.Columns]</param>
    /// <param name="y">[tokens, W.Rows]</param>
    public static void Apply(in WeightMatrix weight, ReadOnlySpan<float> x, int tokens, Span<float> y, KernelThreadPool pool)
    {
        int k = weight.Columns;
        if (tokens == 1)
            MatVec.Compute(weight.Type, weight.Data, weight.Rows, k, x[..k], y, pool);
        else
            MatMul.Compute(weight.Type, weight.Data, weight.Rows, k, x[..(tokens * k)], tokens, y, pool);
    }

    /// <summary>
    /// y_i = x · W_i^T for matrices that read the same x (q/k/v, gate/up). One token goes through one fused
    /// matrix-vector pass (x quantized once, one synchronisation of the pool); several tokens through one matrix-matrix
    /// product each.
    /// </summary>
    /// <param name="x">[tokens, k], k the common column count</param>
    public static void ApplyShared(ReadOnlySpan<float> x, int tokens, KernelThreadPool pool, in WeightMatrix w0, Span<float> y0, in WeightMatrix w1, Span<float> y1)
    {
        if (tokens != 1 || w0.Columns != w1.Columns)
        {
            Apply(w0, x, tokens, y0, pool);
            Apply(w1, x, tokens, y1, pool);
            return;
        }
        fixed (float* p0 = Rows(y0, w0))
        fixed (float* p1 = Rows(y1, w1))
            MatVec.ComputeShared([Target(w0, p0), Target(w1, p1)], w0.Columns, x[..w0.Columns], pool);
    }

    /// <inheritdoc cref="ApplyShared(ReadOnlySpan{float}, int, KernelThreadPool, in WeightMatrix, Span{float}, in WeightMatrix, Span{float})"/>
    public static void ApplyShared(ReadOnlySpan<float> x, int tokens, KernelThreadPool pool,
        in WeightMatrix w0, Span<float> y0, in WeightMatrix w1, Span<float> y1, in WeightMatrix w2, Span<float> y2)
    {
        if (tokens != 1 || w0.Columns != w1.Columns || w0.Columns != w2.Columns)
        {
            Apply(w0, x, tokens, y0, pool);
            Apply(w1, x, tokens, y1, pool);
            Apply(w2, x, tokens, y2, pool);
            return;
        }
        fixed (float* p0 = Rows(y0, w0))
        fixed (float* p1 = Rows(y1, w1))
        fixed (float* p2 = Rows(y2, w2))
            MatVec.ComputeShared([Target(w0, p0), Target(w1, p1), Target(w2, p2)], w0.Columns, x[..w0.Columns], pool);
    }

    /// <summary>The first W.Rows entries of y (an error naming the shortfall when y is shorter).</summary>
    private static Span<float> Rows(Span<float> y, in WeightMatrix weight) =>
        y.Length >= weight.Rows ? y[..(int)weight.Rows] : throw new ArgumentException($"output has {y.Length} entries, {weight.Rows} rows needed", nameof(y));

    private static MatVecTarget Target(in WeightMatrix weight, float* y) => new(weight.Type, weight.Data, weight.Rows, y);

    /// <summary>Adds <paramref name="bias"/> [n] to each of the <paramref name="tokens"/> rows of <paramref name="y"/>.</summary>
    public static void AddBias(Span<float> y, int tokens, ReadOnlySpan<float> bias)
    {
        int n = bias.Length;
        for (int t = 0; t < tokens; t++)
            System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(t * n, n), bias, y.Slice(t * n, n));
    }
}
