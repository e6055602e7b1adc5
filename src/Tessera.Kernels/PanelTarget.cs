using Tessera.Kernels.Quants;

namespace Tessera.Kernels;

/// <summary>One matrix of a shared multi-token pass (<see cref="Int8PanelMatMul.ComputeShared"/>,
/// <see cref="FloatMatMul.ComputeShared"/>): its kernel (the type's plain entry), rows and [tokens, rows] output.</summary>
internal readonly unsafe struct PanelTarget(QuantKernel kernel, byte* weights, long rows, float* y)
{
    public QuantKernel Kernel { get; } = kernel;
    public byte* Weights { get; } = weights;
    public long Rows { get; } = rows;
    public float* Y { get; } = y;
}
