namespace Tessera.Tokenizers;

/// <summary>
/// The split expressions of each named pre-tokenizer (`tokenizer.ggml.pre`), written for .NET regular
/// expressions. They follow the published definitions of each model family's tokenizer, with these
/// translations: case-insensitive contractions are spelled out per letter, and an end-of-text `$`
/// becomes `\z` (in .NET `$` also matches before a final newline).
/// </summary>
internal static class PreTokenizerPatterns
{
    /// <summary>GPT-2: contractions, letters, digits, other symbols (each with an optional leading space), whitespace.</summary>
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";

    /// <summary>Llama 3: any-case contractions, a letter run with one leading non-letter, digits in groups of up to three.</summary>
    private const string Llama3 =
        @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Qwen 2: as Llama 3 but every digit is a word of its own.</summary>
    private const string Qwen2 =
        @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string LineBreak = @"[\r\n]";
    private const string CjkRun = "[一-龥ࠀ-一가-퟿]+";

    /// <summary>
    /// DeepSeek LLM's letter class: the cased letters (upper, lower, title case) of the Basic
    /// Multilingual Plane as listed in its tokenizer definition. Its supplementary-plane ranges
    /// (Deseret, Osage, Old Hungarian, Warang Citi, Adlam) cannot be written in a .NET character class.
    /// </summary>
    private const string DeepSeekLetters =
        @"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ]+";

    private static readonly Dictionary<string, (string[] Patterns, bool WholeWords)> ByName = Build();

    public static IEnumerable<string> Names => ByName.Keys.Order(StringComparer.Ordinal);

    public static bool TryGet(string name, out string[] patterns, out bool matchesWholeWordsFirst)
    {
        bool found = ByName.TryGetValue(name, out var entry);
        patterns = entry.Patterns ?? [];
        matchesWholeWordsFirst = entry.WholeWords;
        return found;
    }

    private static Dictionary<string, (string[], bool)> Build()
    {
        string[] gpt2 = [Gpt2];
        string[] llama3 = [Llama3];
        string[] starCoder = [@"\p{N}", Gpt2];
        var map = new Dictionary<string, (string[], bool)>(StringComparer.Ordinal)
        {
            ["default"] = ([@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"], false),
            ["gpt-2"] = (gpt2, false),
            ["mpt"] = (gpt2, false),
            ["olmo"] = (gpt2, false),
            ["llama3"] = (llama3, true),
            ["llama-v3"] = (llama3, true),
            ["llama-bpe"] = (llama3, true),
            ["qwen2"] = ([Qwen2], false),
            ["starcoder"] = (starCoder, false),
            ["refact"] = (starCoder, false),
            ["falcon"] = ([@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"], false),
            ["deepseek-coder"] = ([LineBreak, @"\s?\p{L}+", @"\s?\p{P}+", CjkRun, @"\p{N}"], false),
            ["deepseek-llm"] =
                ([LineBreak, DeepSeekLetters, @"\s?[!-/:-~！-／：-～‘-‟　-。]+", @"\s+\z", CjkRun, @"\p{N}+"], false),
        };
        return map;
    }
}
