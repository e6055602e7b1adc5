namespace Tessera.Tokenizers;

/// <summary>
/// Cuts special-token text out of the input before the tokenizer model sees it. Tokens are tried
/// longest text first over the pieces still left as plain text, so a long token wins over a shorter
/// one it contains. Control and unknown tokens are cut only when asked; user-defined tokens always
/// (they are vocabulary entries the model must see whole, e.g. runs of spaces in code vocabularies).
/// </summary>
internal sealed class SpecialTokenSplitter
{
    /// <summary>A run of plain text (<see cref="TokenId"/> &lt; 0) or one special token.</summary>
    public readonly record struct Fragment(int TokenId, int Start, int Length);

    private readonly (int Id, string Text, bool ParsedOnRequest)[] _tokens;

    /// <summary>First character -> indexes into <see cref="_tokens"/>, to find in one pass which tokens occur.</summary>
    private readonly Dictionary<char, int[]> _byFirstChar;

    public SpecialTokenSplitter(TokenizerVocabulary vocabulary)
    {
        var tokens = new List<(int, string, bool)>();
        for (int id = 0; id < vocabulary.Tokens.Count; id++)
        {
            var type = vocabulary.TypeOf(id);
            string text = vocabulary.Tokens[id];
            if (text.Length == 0)
                continue;
            if (type is TokenType.Control or TokenType.Unknown)
                tokens.Add((id, text, true));
            else if (type is TokenType.UserDefined)
                tokens.Add((id, text, false));
        }
        // Longest text first; ties by id so the order is deterministic.
        _tokens = tokens.OrderByDescending(t => t.Item2.Length).ThenBy(t => t.Item1).ToArray();
        _byFirstChar = Enumerable.Range(0, _tokens.Length)
            .GroupBy(i => _tokens[i].Text[0])
            .ToDictionary(g => g.Key, g => g.ToArray());
    }

    public List<Fragment> Split(string text, bool parseSpecial)
    {
        var fragments = new List<Fragment>();
        if (text.Length > 0)
            fragments.Add(new Fragment(-1, 0, text.Length));
        bool[] occurs = FindOccurringTokens(text, parseSpecial);
        for (int i = 0; i < _tokens.Length; i++)
        {
            if (occurs[i])
                fragments = CutOut(text, fragments, _tokens[i].Id, _tokens[i].Text);
        }
        return fragments;
    }

    /// <summary>
    /// Which tokens (that may be cut) appear anywhere in the text: one scan over the text instead of
    /// one search per token, which matters for vocabularies with thousands of user-defined tokens.
    /// </summary>
    private bool[] FindOccurringTokens(string text, bool parseSpecial)
    {
        var occurs = new bool[_tokens.Length];
        for (int position = 0; position < text.Length; position++)
        {
            if (!_byFirstChar.TryGetValue(text[position], out int[]? candidates))
                continue;
            var rest = text.AsSpan(position);
            foreach (int i in candidates)
            {
                if (!occurs[i] && (parseSpecial || !_tokens[i].ParsedOnRequest) && rest.StartsWith(_tokens[i].Text, StringComparison.Ordinal))
                    occurs[i] = true;
            }
        }
        return occurs;
    }

    private static List<Fragment> CutOut(string text, List<Fragment> fragments, int id, string tokenText)
    {
        var result = new List<Fragment>(fragments.Count + 4);
        foreach (var fragment in fragments)
        {
            if (fragment.TokenId >= 0)
            {
                result.Add(fragment);
                continue;
            }
            int position = fragment.Start;
            int end = fragment.Start + fragment.Length;
            while (position < end)
            {
                int found = text.AsSpan(position, end - position).IndexOf(tokenText.AsSpan(), StringComparison.Ordinal);
                if (found < 0)
                    break;
                if (found > 0)
                    result.Add(new Fragment(-1, position, found));
                result.Add(new Fragment(id, position + found, tokenText.Length));
                position += found + tokenText.Length;
            }
            if (position < end)
                result.Add(new Fragment(-1, position, end - position));
        }
        return result;
    }
}
