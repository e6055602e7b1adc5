namespace Tessera.Tensors.Quants;

/// <summary>
/// The 5-bit layout of Q5_0/Q5_1: 16 bytes of nibbles (element j low, element j + 16 high)
/// plus a uint32 whose bit j is bit 4 of element j.
/// </summary>
internal static class FiveBitPacking
{
    private const int Half = 16;

    public static void Unpack(ReadOnlySpan<byte> nibbles, uint highBits, Span<byte> q)
    {
        for (int j = 0; j < Half; j++)
        {
            q[j] = (byte)((nibbles[j] & 0x0F) | (int)((highBits >> j) & 1) << 4);
            q[j + Half] = (byte)((nibbles[j] >> 4) | (int)((highBits >> (j + Half)) & 1) << 4);
        }
    }

    /// <summary>Writes the nibbles of 32 values in 0..31 and returns their high bits.</summary>
    public static uint Pack(ReadOnlySpan<byte> q, Span<byte> nibbles)
    {
        uint highBits = 0;
        for (int j = 0; j < Half; j++)
        {
            nibbles[j] = (byte)((q[j] & 0x0F) | (q[j + Half] & 0x0F) << 4);
            highBits |= (uint)(q[j] >> 4) << j | (uint)(q[j + Half] >> 4) << (j + Half);
        }
        return highBits;
    }
}
