using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants;

/// <summary>
/// A 32-value weight block with a half scale d, a half offset m and unsigned levels (Q4_1, Q5_1): value = d * level + m.
/// </summary>
internal unsafe interface IOffsetBlocks
{
    static abstract int BlockBytes { get; }

    /// <summary>The block's 32 levels as unsigned bytes.</summary>
    static abstract Vector256<byte> Levels(byte* block);
}

/// <summary>Q4_1's block: the levels are its nibbles.</summary>
internal readonly unsafe struct Q4_1Blocks : IOffsetBlocks
{
    public static int BlockBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Q4_1.Q4_1Dot.BlockBytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Levels(byte* block) => BlockBits.Nibbles(block + 4);
}

/// <summary>Q5_1's block: the levels are its nibbles with the fifth bits of qh added.</summary>
internal readonly unsafe struct Q5_1Blocks : IOffsetBlocks
{
    public static int BlockBytes
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Q5_1.Q5_1Dot.BlockBytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Levels(byte* block) => BlockBits.Nibbles(block + 8) | BlockBits.FifthBits(*(uint*)(block + 4));
}
