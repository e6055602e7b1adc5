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

    /// <summary>Adds <paramref name="bias"/> [n] to each of the <paramref name="tokens"/> rows of <paramref name="y"/>.</summary>
    public static void AddBias(Span<float> y, int tokens, ReadOnlySpan<float> bias)
    {
        int n = bias.Length;
        for (int t = 0; t < tokens; t++)
            System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(t * n, n), bias, y.Slice(t * n, n));
    }
}
