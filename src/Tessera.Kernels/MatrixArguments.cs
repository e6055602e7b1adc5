using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>Argument checks shared by <see cref="MatVec"/> and <see cref="MatMul"/>, and the choice of kernel for the row length.</summary>
internal static unsafe class MatrixArguments
{
    public static QuantKernel Validate(GgmlType weightType, byte* weights, long rows, int k, int xLength, int tokens, int yLength, KernelThreadPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        bool found = tokens > 1 ? QuantKernels.TryGetForMatMul(weightType, k, tokens, out var kernel) : QuantKernels.TryGet(weightType, k, out kernel);
        if (!found)
            throw new NotSupportedException($"no CPU matrix kernel for weight type {weightType}");
        if (weights == null)
            throw new ArgumentNullException(nameof(weights));
        if (rows <= 0 || rows > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "row count must be 1..int.MaxValue");
        if (k <= 0 || k % kernel.BlockSize != 0)
            throw new ArgumentException($"row length {k} is not a positive multiple of the {weightType} block size {kernel.BlockSize}", nameof(k));
        if (tokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "token count must be positive");
        if (xLength != (long)tokens * k)
            throw new ArgumentException($"x has {xLength} elements, expected {tokens} x {k}", "x");
        if (yLength < rows * tokens)
            throw new ArgumentException($"y has {yLength} elements, needs {tokens} x {rows}", "y");
        return kernel;
    }
}
