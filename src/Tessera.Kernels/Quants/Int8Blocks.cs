using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants;

/// <summary>
/// A 32-value weight block type whose block starts with a half scale d and whose values are d * (a signed int8 in
/// -127..127 after decoding): Q4_0, Q5_0, IQ4_NL. Lets one generic matrix-matrix tile kernel serve them all;
/// the JIT specialises it per struct, so the decode inlines.
/// </summary>
internal unsafe interface IInt8Blocks
{
    static abstract int BlockBytes { get; }

    /// <summary>The block's 32 values as int8 (before the scale).</summary>
    static abstract Vector256<sbyte> Decode(byte* block);
}

internal readonly unsafe struct Q4_0Blocks : IInt8Blocks
{
    public static int BlockBytes => Q4_0.Q4_0Dot.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Decode(byte* block) => BlockBits.Nibbles(block + 2).AsSByte() - Vector256.Create((sbyte)8);
}

internal readonly unsafe struct Q5_0Blocks : IInt8Blocks
{
    public static int BlockBytes => Q5_0.Q5_0Dot.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Decode(byte* block) =>
        (BlockBits.Nibbles(block + 6) | BlockBits.FifthBits(*(uint*)(block + 2))).AsSByte() - Vector256.Create((sbyte)16);
}

internal readonly unsafe struct IQ4_NLBlocks : IInt8Blocks
{
    public static int BlockBytes => IQ4_NL.IQ4_NLDot.BlockBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Decode(byte* block)
    {
        var table = Vector128.Create(IQ4_NL.IQ4_NLDot.Table);
        return System.Runtime.Intrinsics.X86.Avx2.Shuffle(Vector256.Create(table, table), BlockBits.Nibbles(block + 2).AsSByte());
    }
}
