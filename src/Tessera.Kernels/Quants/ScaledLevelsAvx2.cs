using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants;

/// <summary>
/// One 32-value chunk of a K-quant block on AVX2: its unsigned levels and the int16 scale (or scale pair, one per
/// 128-bit lane) of its groups. The many-token dots decode a chunk once into this and take <see cref="Dot"/> for each
/// token that meets it.
/// </summary>
internal readonly unsafe struct ScaledLevelsAvx2(Vector256<byte> levels, Vector256<short> scale)
{
    /// <summary>Σ scale · (levels · a) over the chunk in eight int32 lanes (<see cref="SimdInt8.MultiplySumScaled"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<int> Dot(sbyte* a) => SimdInt8.MultiplySumScaled(levels, a, scale);
}
