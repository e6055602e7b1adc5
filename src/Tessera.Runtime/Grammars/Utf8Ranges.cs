namespace Tessera.Runtime.Grammars;

/// <summary>
/// Turns a range of Unicode scalar values into byte-range sequences whose concatenations are exactly the UTF-8
/// encodings of that range, so a grammar over characters runs as a grammar over bytes (tokens are byte strings, and
/// a token may end inside a character). Surrogates (U+D800..U+DFFF) have no encoding and are left out.
/// </summary>
public static class Utf8Ranges
{
    public const int MaxScalar = 0x10FFFF;

    /// <summary>Appends one byte-range sequence (each item: low, high byte) per piece of [low, high].</summary>
    public static void Append(int low, int high, List<(byte Low, byte High)[]> sequences)
    {
        if (low > high)
            return;
        // Surrogates are not characters.
        if (low <= 0xDFFF && high >= 0xD800)
        {
            Append(low, 0xD7FF, sequences);
            Append(0xE000, high, sequences);
            return;
        }
        // One encoded length per piece.
        foreach (int boundary in (ReadOnlySpan<int>)[0x7F, 0x7FF, 0xFFFF])
        {
            if (low <= boundary && high > boundary)
            {
                Append(low, boundary, sequences);
                Append(boundary + 1, high, sequences);
                return;
            }
        }
        if (high <= 0x7F)
        {
            sequences.Add([((byte)low, (byte)high)]);
            return;
        }
        // Split until every continuation byte position either spans its whole range or is fixed.
        int length = Length(low);
        for (int i = 1; i < length; i++)
        {
            int mask = (1 << (6 * i)) - 1;
            if ((low & ~mask) != (high & ~mask))
            {
                if ((low & mask) != 0)
                {
                    Append(low, low | mask, sequences);
                    Append((low | mask) + 1, high, sequences);
                    return;
                }
                if ((high & mask) != mask)
                {
                    Append(low, (high & ~mask) - 1, sequences);
                    Append(high & ~mask, high, sequences);
                    return;
                }
            }
        }
        Span<byte> a = stackalloc byte[4], b = stackalloc byte[4];
        Encode(low, a);
        Encode(high, b);
        var sequence = new (byte, byte)[length];
        for (int i = 0; i < length; i++)
            sequence[i] = (a[i], b[i]);
        sequences.Add(sequence);
    }

    private static int Length(int scalar) => scalar <= 0x7F ? 1 : scalar <= 0x7FF ? 2 : scalar <= 0xFFFF ? 3 : 4;

    private static void Encode(int scalar, Span<byte> bytes)
    {
        new System.Text.Rune(scalar).EncodeToUtf8(bytes);
    }
}
