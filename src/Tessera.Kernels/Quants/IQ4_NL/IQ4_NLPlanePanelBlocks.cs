using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Quants.IQ4_NL;

/// <summary>
/// IQ4_NL for the panel matmul without VNNI: each block's table levels (-127..113) as two 4-bit planes,
/// level = 16 hi + lo with both in -8..7 (<see cref="PanelPlanes.Split"/>), scales 16 d and d. Against the same
/// activations twice (<see cref="QuantKernel.PanelTwoPlanes"/>) the two records sum to d Σ level x exactly, and no
/// vpmaddubsw pair can saturate int16 as the 8-bit levels would. Centring both planes lets the kernel add all eight
/// of a record's vpmaddubsw results in int16 (with lo = 0..15 it had to widen pairs): 20 instructions per record and
/// token instead of 23.
/// </summary>
internal readonly unsafe struct IQ4_NLPlanePanelBlocks : IPanelBlocks
{
    public static int BlockBytes => IQ4_NLDot.BlockBytes;

    public static int SubBlocks => 2;

    public static int MaxLevel => 8;

    public static bool HalfScales => false;

    public static bool HasOffsets => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* block, Vector256<sbyte>* levels, float* scales, float* offsets)
    {
        float d = HalfBits.ToSingle(block);
        PanelPlanes.Split(IQ4_NLBlocks.Decode(block), levels);
        scales[0] = 16 * d;
        scales[1] = d;
    }
}
