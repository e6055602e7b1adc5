namespace Tessera.Runtime.Grammars;

/// <summary>
/// The tokens a grammar state allows, each with the fewest bytes that would still be needed after it, sorted by that
/// count: the tokens that fit a remaining budget are a prefix. Found by walking the token trie in step with the
/// automaton, so the work is the allowed prefixes, not the vocabulary.
/// </summary>
internal sealed class TokenMask
{
    private TokenMask(TokenTrie trie, int[] tokens, int[] minBytesAfter)
    {
        Trie = trie;
        Tokens = tokens;
        MinBytesAfter = minBytesAfter;
    }

    public TokenTrie Trie { get; }
    public int[] Tokens { get; }
    public int[] MinBytesAfter { get; }

    /// <summary>How many of <see cref="Tokens"/> leave at most <paramref name="budget"/> bytes to go.</summary>
    public int CountWithin(int budget)
    {
        int index = Array.BinarySearch(MinBytesAfter, budget + 1);
        if (index < 0)
            return ~index;
        while (index > 0 && MinBytesAfter[index - 1] == budget + 1)
            index--;
        return index;
    }

    public static TokenMask Compute(GrammarAutomaton automaton, GrammarState state, TokenTrie trie)
    {
        var tokens = new List<int>();
        var minBytes = new List<int>();
        var pending = new Stack<(int Node, GrammarState State)>();
        pending.Push((0, state));
        while (pending.TryPop(out var item))
        {
            var bytes = trie.ChildBytes[item.Node];
            var children = trie.Children[item.Node];
            for (int i = 0; i < bytes.Length; i++)
            {
                var next = automaton.Advance(item.State, bytes[i]);
                if (next.IsDead)
                    continue;
                foreach (int token in trie.Ending[children[i]])
                {
                    tokens.Add(token);
                    minBytes.Add(next.MinBytes);
                }
                if (!next.IsComplete)
                    pending.Push((children[i], next));
            }
        }
        int[] tokenArray = [.. tokens];
        int[] minArray = [.. minBytes];
        Array.Sort(minArray, tokenArray);
        return new TokenMask(trie, tokenArray, minArray);
    }
}
