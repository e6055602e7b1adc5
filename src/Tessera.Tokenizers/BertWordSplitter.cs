using System.Globalization;
using System.Text;

namespace Tessera.Tokenizers;

/// <summary>
/// BERT's basic tokenization: strip accents (<see cref="BertAccentStripper"/>) and lowercase, split at
/// whitespace, make each punctuation mark, ASCII symbol and CJK ideograph a word of its own, drop
/// control characters.
/// </summary>
internal static class BertWordSplitter
{
    public static List<string> Split(ReadOnlySpan<char> text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        string normalized = BertAccentStripper.Strip(text);
        for (int i = 0; i < normalized.Length; i += char.IsSurrogatePair(normalized, i) ? 2 : 1)
        {
            int codePoint = char.ConvertToUtf32(normalized, i);
            var category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
            if (IsWhitespace(codePoint))
            {
                Flush(current, words);
                continue;
            }
            if (codePoint is 0 or 0xFFFD || category is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned)
                continue;
            string lower = char.ConvertFromUtf32(codePoint).ToLowerInvariant();
            if (IsPunctuation(category) || (codePoint < 0x7F && IsSymbol(category)) || IsCjkIdeograph(codePoint))
            {
                Flush(current, words);
                words.Add(lower);
            }
            else
            {
                current.Append(lower);
            }
        }
        Flush(current, words);
        return words;
    }

    private static void Flush(StringBuilder current, List<string> words)
    {
        if (current.Length == 0)
            return;
        words.Add(current.ToString());
        current.Clear();
    }

    private static bool IsWhitespace(int codePoint) => codePoint <= char.MaxValue && char.IsWhiteSpace((char)codePoint);

    private static bool IsPunctuation(UnicodeCategory category) => category is UnicodeCategory.ConnectorPunctuation
        or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
        or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsSymbol(UnicodeCategory category) => category is UnicodeCategory.MathSymbol
        or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

    /// <summary>The CJK Unified Ideograph blocks BERT treats as one-character words.</summary>
    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
