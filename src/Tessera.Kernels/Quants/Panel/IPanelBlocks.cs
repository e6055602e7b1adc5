using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>
/// A weight block type the int8 panel matmul (<see cref="Int8PanelMatMul"/>) can take: each 32-value sub-block
/// decodes to 32 signed levels with |level| &lt;= <see cref="MaxLevel"/>, a float scale per sub-block (or one per
/// 16-value half, <see cref="HalfScales"/>) and, for types with a minimum, a float offset added to every value:
/// value = scale * level + offset. The level bound decides how many vpmaddubsw results
/// <see cref="Int8PanelKernel"/> may add in int16 before widening. The JIT specialises the repacking per struct.
/// </summary>
internal unsafe interface IPanelBlocks
{
    /// <summary>Bytes of one block in the file layout.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>32-value sub-blocks per block (1 for the 32-blocks, 8 for the K-quants).</summary>
    static abstract int SubBlocks { get; }

    /// <summary>Largest |level|: 8 (4-bit levels), 16 (5-bit), 32 (6-bit) or 128 (8-bit levels, which only the VNNI
    /// kernel takes: their vpmaddubsw pairs could saturate int16).</summary>
    static abstract int MaxLevel { get; }

    /// <summary>Whether each 16-value half of a sub-block has its own scale (Q6_K's and Q3_K's 16-value groups). Only
    /// the kernel's 5- and 6-bit forms apply the second scale, so such a type declares <see cref="MaxLevel"/> 16 or more.</summary>
    static abstract bool HalfScales { get; }

    /// <summary>Whether values carry an offset (a block minimum); without one the kernel skips that term.</summary>
    static abstract bool HasOffsets { get; }

    /// <summary>Whether each 16-value half of a sub-block has its own offset (Q2_K's minimum per 16-value group); the
    /// kernel then adds the second half's difference against the per-half activation sums.</summary>
    static virtual bool HalfOffsets => false;

    /// <summary>Sub-block j of <paramref name="block"/> to levels[j] and scales[j] (with <see cref="HalfScales"/>,
    /// scales[2j] and scales[2j + 1]) and, with <see cref="HasOffsets"/>, offsets[j] (with <see cref="HalfOffsets"/>,
    /// offsets[2j] and offsets[2j + 1]). <paramref name="halves"/> is <see cref="Numerics.HalfBits.Table"/>, passed in:
    /// the repacking is jitted before that class's static constructor runs, so each read of the static there was a
    /// class-initialisation check that kept the row loop's variables on the stack.</summary>
    static abstract void Decode(byte* block, float* halves, Vector256<sbyte>* levels, float* scales, float* offsets);
}
