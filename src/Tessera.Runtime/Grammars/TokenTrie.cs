using System.Runtime.CompilerServices;
using Tessera.Tokenizers;

namespace Tessera.Runtime.Grammars;

/// <summary>
/// The vocabulary's text tokens as a trie over their bytes, so a grammar state is tested against all tokens at once:
/// a walk descends only into byte prefixes the grammar still allows, and tokens sharing a prefix share its work.
/// Control, unknown and unused tokens are left out (they are never grammar text). One trie per tokenizer.
/// </summary>
public sealed class TokenTrie
{
    private static readonly ConditionalWeakTable<Tokenizer, TokenTrie> Cache = new();

    /// <summary>Per node: child bytes and child nodes (parallel, sorted by byte), and tokens ending here.</summary>
    internal byte[][] ChildBytes { get; }
    internal int[][] Children { get; }
    internal int[][] Ending { get; }

    public int VocabularySize { get; }

    /// <summary>Text tokens in the trie.</summary>
    public int TokenCount { get; }

    private TokenTrie(Tokenizer tokenizer)
    {
        VocabularySize = tokenizer.VocabularySize;
        var children = new List<Dictionary<byte, int>> { new() };
        var ending = new List<List<int>> { new() };
        for (int id = 0; id < tokenizer.VocabularySize; id++)
        {
            if (tokenizer.TokenTypeOf(id) is not (TokenType.Normal or TokenType.Byte or TokenType.UserDefined))
                continue;
            byte[] bytes = tokenizer.TokenBytes(id);
            if (bytes.Length == 0)
                continue;
            int node = 0;
            foreach (byte b in bytes)
            {
                if (!children[node].TryGetValue(b, out int next))
                {
                    next = children.Count;
                    children[node][b] = next;
                    children.Add([]);
                    ending.Add([]);
                }
                node = next;
            }
            ending[node].Add(id);
            TokenCount++;
        }
        ChildBytes = new byte[children.Count][];
        Children = new int[children.Count][];
        Ending = new int[children.Count][];
        for (int node = 0; node < children.Count; node++)
        {
            var sorted = children[node].OrderBy(pair => pair.Key).ToArray();
            ChildBytes[node] = sorted.Select(pair => pair.Key).ToArray();
            Children[node] = sorted.Select(pair => pair.Value).ToArray();
            Ending[node] = [.. ending[node]];
        }
    }

    public static TokenTrie For(Tokenizer tokenizer) => Cache.GetValue(tokenizer, t => new TokenTrie(t));
}
