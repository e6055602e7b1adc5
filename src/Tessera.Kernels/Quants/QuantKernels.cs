using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Quants.F32;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Kernels.Quants.Q4_K;
using Tessera.Kernels.Quants.Q6_K;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Kernels.Quants.Q8_K;
using Tessera.Tensors;

namespace Tessera.Kernels.Quants;

/// <summary>
/// What the matrix kernels need to know about one weight type: the activation type its dot product pairs with
/// (F32 for float weights, Q8_0/Q8_1 for 32-blocks, Q8_K for 256-blocks), block geometry, and the kernels.
/// </summary>
internal readonly unsafe struct QuantKernel
{
    public GgmlType WeightType { get; init; }

    public GgmlType ActivationType { get; init; }

    /// <summary>Elements per weight block; k must be a multiple of it.</summary>
    public int BlockSize { get; init; }

    public int WeightBlockBytes { get; init; }

    /// <summary>Bytes of activation per <see cref="BlockSize"/> elements.</summary>
    public int ActivationBlockBytes { get; init; }

    /// <summary>Dot of one weight row with one activation row (dispatches to the best ISA path).</summary>
    public delegate*<byte*, byte*, int, float> Dot { get; init; }

    /// <summary>One weight row with four activation rows a stride apart (the matrix-matrix micro-kernel); null
    /// where the type has none yet and the matmul calls <see cref="Dot"/> per token instead.</summary>
    public delegate*<byte*, byte*, nint, int, float*, void> Dot4 { get; init; }

    /// <summary>F32 row to <see cref="ActivationType"/>; null when activations stay F32.</summary>
    public delegate*<float*, int, byte*, void> QuantizeActivations { get; init; }

    public long WeightRowBytes(int k) => (long)(k / BlockSize) * WeightBlockBytes;

    public long ActivationRowBytes(int k) => (long)(k / BlockSize) * ActivationBlockBytes;
}

/// <summary>The traits table: one switch from weight type to its kernels. <c>IsSupported</c> checks inside each
/// kernel's dispatcher are JIT-time constants, so the chosen path costs no branch at run time.</summary>
internal static unsafe class QuantKernels
{
    public static bool IsSupported(GgmlType weightType) => TryGet(weightType, out _);

    public static QuantKernel Get(GgmlType weightType) =>
        TryGet(weightType, out var kernel)
            ? kernel
            : throw new NotSupportedException($"no CPU matrix kernel for weight type {weightType}");

    public static bool TryGet(GgmlType weightType, out QuantKernel kernel)
    {
        kernel = weightType switch
        {
            GgmlType.F32 => Float(GgmlType.F32, 4, &F32Dot.Dot),
            GgmlType.F16 => Float(GgmlType.F16, 2, &F16Dot.Dot),
            GgmlType.BF16 => Float(GgmlType.BF16, 2, &BF16Dot.Dot),
            GgmlType.Q4_0 => Q8_0Paired(GgmlType.Q4_0, Q4_0Dot.BlockBytes, &Q4_0Dot.Dot, &Q4_0Dot.Dot4),
            GgmlType.Q8_0 => Q8_0Paired(GgmlType.Q8_0, Q8_0Activations.BlockBytes, &Q8_0Dot.Dot, &Q8_0Dot.Dot4),
            GgmlType.Q4_K => Q8_KPaired(GgmlType.Q4_K, Q4_KDot.BlockBytes, &Q4_KDot.Dot, null),
            GgmlType.Q6_K => Q8_KPaired(GgmlType.Q6_K, Q6_KDot.BlockBytes, &Q6_KDot.Dot, null),
            _ => default,
        };
        return kernel.Dot != null;
    }

    private static QuantKernel Float(GgmlType type, int elementBytes, delegate*<byte*, byte*, int, float> dot) => new()
    {
        WeightType = type,
        ActivationType = GgmlType.F32,
        BlockSize = 1,
        WeightBlockBytes = elementBytes,
        ActivationBlockBytes = sizeof(float),
        Dot = dot,
    };

    private static QuantKernel Q8_0Paired(GgmlType type, int blockBytes, delegate*<byte*, byte*, int, float> dot,
        delegate*<byte*, byte*, nint, int, float*, void> dot4) => new()
    {
        WeightType = type,
        ActivationType = GgmlType.Q8_0,
        BlockSize = Q8_0Activations.BlockSize,
        WeightBlockBytes = blockBytes,
        ActivationBlockBytes = Q8_0Activations.BlockBytes,
        Dot = dot,
        Dot4 = dot4,
        QuantizeActivations = &Q8_0Activations.Quantize,
    };

    private static QuantKernel Q8_KPaired(GgmlType type, int blockBytes, delegate*<byte*, byte*, int, float> dot,
        delegate*<byte*, byte*, nint, int, float*, void> dot4) => new()
    {
        WeightType = type,
        ActivationType = GgmlType.Q8_K,
        BlockSize = Q8_KActivations.BlockSize,
        WeightBlockBytes = blockBytes,
        ActivationBlockBytes = Q8_KActivations.BlockBytes,
        Dot = dot,
        Dot4 = dot4,
        QuantizeActivations = &Q8_KActivations.Quantize,
    };
}
