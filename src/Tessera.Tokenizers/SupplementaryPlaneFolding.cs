using System.Globalization;
using System.Text;

namespace Tessera.Tokenizers;

/// <summary>
/// .NET regular expressions see a character outside the Basic Multilingual Plane as two surrogate
/// halves: `\p{L}` does not match them and a one-character class can split them apart. Pre-tokenizer
/// patterns are meant per code point, so text with surrogates is matched in a folded copy that has one
/// stand-in character per code point, each of the same kind for every pattern we use.
/// </summary>
internal static class SupplementaryPlaneFolding
{
    // Stand-ins: BMP characters of the right category that no pattern names explicitly.
    private const char Letter = '\u00AA';        // ª, Lo
    private const char CasedLetter = '\u00B5';   // µ, Ll: also inside DeepSeek's cased-letter class
    private const char Digit = '\u0660';         // Arabic-Indic zero, Nd
    private const char Punctuation = '\u00A1';   // ¡, Po
    private const char Other = '\u00A9';         // ©, So: symbols, marks, emoji, lone surrogates

    /// <summary>Supplementary cased-letter ranges listed by DeepSeek LLM's letter class.</summary>
    private static readonly (int First, int Last)[] DeepSeekCasedRanges =
    [
        (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2),
        (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943),
    ];

    public static bool IsNeeded(ReadOnlySpan<char> text) => text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    /// <summary>
    /// One character per code point of <paramref name="text"/>; <paramref name="starts"/>[i] is where
    /// code point i begins in the original, with one extra entry for the end.
    /// </summary>
    public static string Fold(ReadOnlySpan<char> text, out int[] starts)
    {
        var folded = new StringBuilder(text.Length);
        var startList = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            startList.Add(i);
            if (Rune.DecodeFromUtf16(text[i..], out var rune, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                folded.Append(Other); // a lone surrogate
                i += 1;
                continue;
            }
            folded.Append(rune.IsBmp ? (char)rune.Value : StandIn(rune));
            i += consumed;
        }
        startList.Add(text.Length);
        starts = startList.ToArray();
        return folded.ToString();
    }

    private static char StandIn(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            && DeepSeekCasedRanges.Any(r => rune.Value >= r.First && rune.Value <= r.Last))
            return CasedLetter;
        return category switch
        {
            >= UnicodeCategory.UppercaseLetter and <= UnicodeCategory.OtherLetter => Letter,
            >= UnicodeCategory.DecimalDigitNumber and <= UnicodeCategory.OtherNumber => Digit,
            >= UnicodeCategory.ConnectorPunctuation and <= UnicodeCategory.OtherPunctuation => Punctuation,
            _ => Other,
        };
    }
}
