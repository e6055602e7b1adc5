using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Quants.F32;
using Tessera.Kernels.Quants.IQ4_NL;
using Tessera.Kernels.Quants.Q2_K;
using Tessera.Kernels.Quants.Q3_K;
using Tessera.Kernels.Quants.Nibbles;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Kernels.Quants.Q4_1;
using Tessera.Kernels.Quants.Q5_0;
using Tessera.Kernels.Quants.Q5_1;
using Tessera.Kernels.Quants.Q5_K;
using Tessera.Kernels.Quants.Q4_K;
using Tessera.Kernels.Quants.Q6_K;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>Every weight type with its ISA paths, for the tests that call each path explicitly.</summary>
internal static unsafe class KernelPaths
{
    public static DotPath[] For(GgmlType type) => type switch
    {
        GgmlType.F32 => F32Dot.Paths,
        GgmlType.F16 => F16Dot.Paths,
        GgmlType.BF16 => BF16Dot.Paths,
        GgmlType.Q4_0 => Q4_0Dot.Paths,
        GgmlType.Q8_0 => Q8_0Dot.Paths,
        GgmlType.Q4_K => Q4_KDot.Paths,
        GgmlType.Q6_K => Q6_KDot.Paths,
        GgmlType.Q4_1 => Q4_1Dot.Paths,
        GgmlType.Q5_0 => Q5_0Dot.Paths,
        GgmlType.Q5_1 => Q5_1Dot.Paths,
        GgmlType.IQ4_NL => IQ4_NLDot.Paths,
        GgmlType.Q2_K => Q2_KDot.Paths,
        GgmlType.Q3_K => Q3_KDot.Paths,
        GgmlType.Q5_K => Q5_KDot.Paths,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no kernel paths registered"),
    };

    public static TheoryData<GgmlType> Types => new(
        GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F32, GgmlType.F16, GgmlType.BF16,
        GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.IQ4_NL, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K);

    /// <summary>Every 4x4 matrix-matrix tile kernel: (weight type, name, runs on this CPU, function pointer).</summary>
    public static (GgmlType Type, string Name, bool IsSupported, nint Tile)[] Tiles =>
    [
        (GgmlType.Q4_0, "AVX2", IsaSupport.Avx2, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&Int8TileKernel<Q4_0Blocks>.Compute),
        (GgmlType.Q4_0, "AVX-512", IsaSupport.Avx512, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&Q4_0Tile512.Compute),
        (GgmlType.Q5_0, "AVX2", IsaSupport.Avx2, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&Int8TileKernel<Q5_0Blocks>.Compute),
        (GgmlType.IQ4_NL, "AVX2", IsaSupport.Avx2, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&Int8TileKernel<IQ4_NLBlocks>.Compute),
        (GgmlType.F32, "AVX2", IsaSupport.Avx2, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&FloatTileKernel<F32Rows>.Compute),
        (GgmlType.F16, "AVX2", IsaSupport.Avx2, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&FloatTileKernel<F16Rows>.Compute),
        (GgmlType.BF16, "AVX2", IsaSupport.Avx2, (nint)(delegate*<byte*, nint, byte*, nint, int, float*, nint, void>)&FloatTileKernel<BF16Rows>.Compute),
    ];
}
