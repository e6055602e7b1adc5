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
    private const string CjkRun = @"[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

    /// <summary>
    /// DeepSeek LLM's letter class: the cased letters (upper, lower, title case) of the Basic
    /// Multilingual Plane as listed in its tokenizer definition. Its supplementary-plane ranges
    /// (Deseret, Osage, Old Hungarian, Warang Citi, Adlam) cannot be written in a .NET character class.
    /// </summary>
    private const string DeepSeekLetters =
        @"\s?[" +
        @"A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF"
        + @"\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5"
        + @"\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA"
        + @"\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45"
        + @"\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE"
        + @"\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC"
        + @"\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139"
        + @"\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3"
        + @"\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06"
        + @"\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A"
        + "]+";

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
        string[] qwen2 = [Qwen2];
        string[] starCoder = [@"\p{N}", Gpt2];
        var map = new Dictionary<string, (string[], bool)>(StringComparer.Ordinal)
        {
            ["default"] = ([@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"], false),
            ["gpt-2"] = (gpt2, false),
            ["phi-2"] = (gpt2, false),
            ["mpt"] = (gpt2, false),
            ["olmo"] = (gpt2, false),
            ["jais"] = (gpt2, false),
            ["llama3"] = (llama3, true),
            ["llama-v3"] = (llama3, true),
            ["llama-bpe"] = (llama3, true),
            ["falcon3"] = (llama3, true),
            ["dbrx"] = (llama3, false),
            ["smaug-bpe"] = (llama3, false),
            ["qwen2"] = (qwen2, false),
            ["deepseek-r1-qwen"] = (qwen2, false),
            ["stablelm2"] = (qwen2, false),
            ["starcoder"] = (starCoder, false),
            ["refact"] = (starCoder, false),
            ["command-r"] = (starCoder, false),
            ["smollm"] = (starCoder, false),
            ["codeshell"] = (starCoder, false),
            ["exaone"] = (starCoder, false),
            ["falcon"] = ([@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"], false),
            ["deepseek-coder"] = ([LineBreak, @"\s?\p{L}+", @"\s?\p{P}+", CjkRun, @"\p{N}"], false),
            ["deepseek-llm"] =
                ([LineBreak, DeepSeekLetters, @"\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", @"\s+\z", CjkRun, @"\p{N}+"], false),
        };
        return map;
    }
}
