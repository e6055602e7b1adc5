namespace Tessera.Tokenizers;

/// <summary>
/// GPT-2's reversible byte-to-character map: byte-level BPE vocabularies spell every byte as a
/// printable character. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves;
/// the remaining 68 bytes map, in byte order, to U+0100, U+0101, ... (so space becomes 'Ġ', U+0120).
/// </summary>
internal static class ByteLevelEncoding
{
    private const int FirstSubstitute = 0x100;

    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>Character -> byte; -1 for characters that stand for no byte.</summary>
    private static readonly short[] CharToByte = BuildCharToByte();

    public static bool TryGetByte(char c, out byte value)
    {
        value = 0;
        if (c >= CharToByte.Length || CharToByte[c] < 0)
            return false;
        value = (byte)CharToByte[c];
        return true;
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = FirstSubstitute;
        for (int b = 0; b < 256; b++)
            map[b] = IsPrintable(b) ? (char)b : (char)next++;
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[FirstSubstitute + 256];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++)
            map[ByteToChar[b]] = (short)b;
        return map;
    }
}
