using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants;

/// <summary>Unpacking of the 4-bit and 5-bit level layouts shared by the 32-value block types.</summary>
internal static unsafe class BlockBits
{
    /// <summary>16 bytes of nibbles to 32 levels 0..15 in element order: byte j's low nibble is element j and its
    /// high nibble element j+16, so the low nibbles fill the low 128-bit lane and the high nibbles the high lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Nibbles(byte* packed)
    {
        var bytes = Vector128.Load(packed);
        return Vector256.Create(bytes, Vector128.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte()) & Vector256.Create((byte)0x0F);
    }

    /// <summary>Bit e of the little-endian 32-bit <paramref name="highBits"/> becomes 0x10 in byte e (the fifth level bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> FifthBits(uint highBits)
    {
        // Each byte picks the source byte holding its bit (byte e/8 of the word), then tests bit e%8.
        var spread = Avx2.Shuffle(Vector256.Create(highBits).AsByte(), Vector256.Create(
            (byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        var bit = Vector256.Create(0x8040201008040201ul).AsByte();
        return Vector256.Equals(spread & bit, bit) & Vector256.Create((byte)0x10);
    }

    /// <summary>Portable: levels of elements 0..15 (low) and 16..31 (high) of a 4/5-bit block, fifth bit included when given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<byte> Low, Vector128<byte> High) Levels128(byte* packed, uint highBits)
    {
        var bytes = Vector128.Load(packed);
        var low = bytes & Vector128.Create((byte)0x0F);
        var high = Vector128.ShiftRightLogical(bytes, 4);
        if (highBits != 0)
        {
            var bit = Vector128.Create(0x8040201008040201ul).AsByte();
            var lowBits = Vector128.Create((ushort)(highBits & 0xFFFF)).AsByte();
            var highBitsVector = Vector128.Create((ushort)(highBits >> 16)).AsByte();
            // Byte e needs bit e of its 16-bit half: spread byte e/8 of that half.
            var lowSpread = Vector128.Shuffle(lowBits, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
            var highSpread = Vector128.Shuffle(highBitsVector, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
            low |= Vector128.Equals(lowSpread & bit, bit) & Vector128.Create((byte)0x10);
            high |= Vector128.Equals(highSpread & bit, bit) & Vector128.Create((byte)0x10);
        }
        return (low, high);
    }
}
