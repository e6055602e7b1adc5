using System.Globalization;
using System.Text;

namespace Tessera.Tokenizers;

/// <summary>
/// BERT's accent stripping: canonical decomposition (NFD) followed by removing combining marks,
/// done with our own table because invariant-globalization runtimes do not normalize.
/// </summary>
internal static class BertAccentStripper
{
    // Hangul syllables decompose by formula (Unicode chapter 3.12): S = L * 588 + V * 28 + T.
    private const int SyllableBase = 0xAC00, LeadingBase = 0x1100, VowelBase = 0x1161, TrailingBase = 0x11A7;
    private const int VowelCount = 21, TrailingCount = 28, SyllableCount = 11172;
    private const int SyllablesPerLeading = VowelCount * TrailingCount;

    private static readonly Lazy<Dictionary<int, string>> Decompositions = new(ParseTable);

    public static string Strip(ReadOnlySpan<char> text)
    {
        var result = new StringBuilder(text.Length);
        var table = Decompositions.Value;
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp - SyllableBase is >= 0 and < SyllableCount)
                AppendHangul(result, cp - SyllableBase);
            else if (table.TryGetValue(cp, out string? stripped))
                result.Append(stripped);
            else if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
                result.Append(rune.ToString());
        }
        return result.ToString();
    }

    private static void AppendHangul(StringBuilder result, int index)
    {
        result.Append((char)(LeadingBase + index / SyllablesPerLeading));
        result.Append((char)(VowelBase + index % SyllablesPerLeading / TrailingCount));
        if (index % TrailingCount != 0)
            result.Append((char)(TrailingBase + index % TrailingCount));
    }

    private static Dictionary<int, string> ParseTable()
    {
        var table = new Dictionary<int, string>();
        foreach (string entry in BertDecompositionData.Entries.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            int keyLength = char.IsHighSurrogate(entry[0]) ? 2 : 1;
            table[char.ConvertToUtf32(entry, 0)] = entry[keyLength..];
        }
        return table;
    }
}
