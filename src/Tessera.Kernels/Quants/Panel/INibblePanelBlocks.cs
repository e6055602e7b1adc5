using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>
/// A panel block type whose levels are a table of 4-bit codes, packed so that <see cref="NibbleRecords"/> can
/// repack eight rows from their packed bytes. With one sub-block (Q4_0, Q4_1, IQ4_NL): 16 bytes, value j in the low
/// nibble of byte j and value j + 16 in its high nibble. With eight (Q4_K): four groups of 32 bytes, group p holding
/// sub-block 2p in its low nibbles and sub-block 2p + 1 in its high ones, value j in byte j.
/// </summary>
internal unsafe interface INibblePanelBlocks : IPanelBlocks
{
    /// <summary>Where the packed bytes start in a block.</summary>
    static abstract int NibbleOffset { get; }

    /// <summary>The level of code n in byte n of each 128-bit lane.</summary>
    static abstract Vector256<sbyte> LevelTable { get; }

    /// <summary>The block's scale and offset of each sub-block to scales[j] and offsets[j] (offsets only with
    /// <see cref="IPanelBlocks.HasOffsets"/>); <paramref name="halves"/> is <see cref="Numerics.HalfBits.Table"/>,
    /// passed in so a loop reads the static once.</summary>
    static abstract void Scales(byte* block, float* halves, float* scales, float* offsets);

    /// <summary>Whether the block is one sub-block that starts with its scale as a half and has no offset (Q4_0,
    /// IQ4_NL): <see cref="NibbleRecords"/> then converts eight rows' scales at once
    /// (<see cref="PanelRecords.LeadingHalfScales"/>) instead of calling <see cref="Scales"/> per row.</summary>
    static virtual bool LeadingHalfScale => false;
}
