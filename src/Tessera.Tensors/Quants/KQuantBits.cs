namespace Tessera.Tensors.Quants;

/// <summary>
/// Bit layouts shared by the K-quants (256 values per super-block).
/// 2-bit fields (Q2_K, Q3_K low bits): each 128-value half uses 32 bytes; value e sits in byte
/// 32·(e / 128) + e % 32 at bit 2·((e % 128) / 32).
/// 1-bit fields (Q3_K hmask, Q5_K qh): value e is bit e / 32 of byte e % 32.
/// 6-bit scale/min pairs (Q4_K, Q5_K): 8 pairs in 12 bytes; pairs 0..3 in the low 6 bits of bytes 0..3 (scale)
/// and 4..7 (min); pairs 4..7 keep their low 4 bits in the nibbles of bytes 8..11 (scale low, min high) and
/// their top 2 bits in the spare top bits of bytes 0..3 (scale) and 4..7 (min).
/// </summary>
internal static class KQuantBits
{
    private const int Half = 128, Quarter = 32;

    public static int GetTwoBits(ReadOnlySpan<byte> packed, int e) =>
        (packed[Quarter * (e / Half) + e % Quarter] >> (2 * (e % Half / Quarter))) & 3;

    /// <summary>Packs 256 values 0..3 into 64 bytes.</summary>
    public static void PackTwoBits(ReadOnlySpan<byte> values, Span<byte> packed)
    {
        packed[..(values.Length / 4)].Clear();
        for (int e = 0; e < values.Length; e++)
            packed[Quarter * (e / Half) + e % Quarter] |= (byte)((values[e] & 3) << (2 * (e % Half / Quarter)));
    }

    public static int GetBit(ReadOnlySpan<byte> mask, int e) => (mask[e % Quarter] >> (e / Quarter)) & 1;

    /// <summary>Packs bit <paramref name="bit"/> of 256 values into 32 bytes.</summary>
    public static void PackBits(ReadOnlySpan<byte> values, int bit, Span<byte> mask)
    {
        mask[..Quarter].Clear();
        for (int e = 0; e < values.Length; e++)
            mask[e % Quarter] |= (byte)(((values[e] >> bit) & 1) << (e / Quarter));
    }

    public static (int Scale, int Min) GetScaleMin(ReadOnlySpan<byte> packed, int j)
    {
        if (j < 4)
            return (packed[j] & 63, packed[j + 4] & 63);
        return ((packed[j + 4] & 0x0F) | (packed[j - 4] >> 6) << 4, (packed[j + 4] >> 4) | (packed[j] >> 6) << 4);
    }

    /// <summary>Packs 8 scale codes and 8 min codes (each 0..63) into 12 bytes.</summary>
    public static void PackScaleMins(ReadOnlySpan<byte> scales, ReadOnlySpan<byte> mins, Span<byte> packed)
    {
        for (int j = 0; j < 4; j++)
        {
            packed[j] = (byte)(scales[j] | (scales[j + 4] >> 4) << 6);
            packed[j + 4] = (byte)(mins[j] | (mins[j + 4] >> 4) << 6);
            packed[j + 8] = (byte)((scales[j + 4] & 0x0F) | (mins[j + 4] & 0x0F) << 4);
        }
    }
}
