namespace Tessera.Tokenizers;

/// <summary>
/// BPE merges by rank: in one word, repeatedly merge the adjacent pair of tokens with the lowest
/// merge rank (leftmost on ties) until no listed pair is left. Symbols form a linked list and
/// candidate pairs sit in a priority queue, so a long word costs O(n log n).
/// </summary>
internal sealed class RankedMergeTable
{
    // Keyed by the pair itself: its hash mixes both ids (a long key would hash to left ^ right and collide badly).
    private readonly Dictionary<(int Left, int Right), (int Rank, int Result)> _merges;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    /// <param name="merges">"left right" lines, best first.</param>
    public RankedMergeTable(IReadOnlyList<string> merges, Dictionary<string, int> tokenIds)
    {
        _lookup = tokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = new Dictionary<(int, int), (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            string merge = merges[rank];
            int space = merge.IndexOf(' ', 1); // a part is never empty, so the separator is not at 0
            if (space < 0)
                throw new TokenizerException($"BPE merge {rank} '{merge}' is not two tokens separated by a space");
            var left = merge.AsSpan(0, space);
            var right = merge.AsSpan(space + 1);
            // A merge whose parts or result are not tokens can never fire on token symbols.
            if (!_lookup.TryGetValue(left, out int leftId) || !_lookup.TryGetValue(right, out int rightId)
                || !_lookup.TryGetValue(string.Concat(left, right), out int result))
                continue;
            _merges.TryAdd((leftId, rightId), (rank, result));
        }
    }

    /// <summary>Token ids for a word spelled in vocabulary characters; -1 for a character that is no token.</summary>
    public List<int> Apply(ReadOnlySpan<char> word)
    {
        var ids = new int[word.Length];
        var next = new int[word.Length];
        var previous = new int[word.Length];
        for (int i = 0; i < word.Length; i++)
        {
            ids[i] = _lookup.TryGetValue(word.Slice(i, 1), out int id) ? id : -1;
            previous[i] = i - 1;
            next[i] = i + 1 < word.Length ? i + 1 : -1;
        }

        var candidates = new PriorityQueue<(int Left, int Right, int LeftId, int RightId, int Result), (int Rank, int Left)>();
        for (int i = 0; i + 1 < word.Length; i++)
            TryQueue(candidates, ids, i, i + 1);

        while (candidates.TryDequeue(out var pair, out _))
        {
            // Stale: a side was merged away or changed since the pair was queued.
            if (ids[pair.Left] != pair.LeftId || ids[pair.Right] != pair.RightId || next[pair.Left] != pair.Right)
                continue;
            ids[pair.Left] = pair.Result;
            ids[pair.Right] = int.MinValue; // dead
            next[pair.Left] = next[pair.Right];
            if (next[pair.Left] >= 0)
                previous[next[pair.Left]] = pair.Left;
            if (previous[pair.Left] >= 0)
                TryQueue(candidates, ids, previous[pair.Left], pair.Left);
            if (next[pair.Left] >= 0)
                TryQueue(candidates, ids, pair.Left, next[pair.Left]);
        }

        var result = new List<int>();
        for (int i = word.Length == 0 ? -1 : 0; i >= 0; i = next[i])
            result.Add(ids[i]);
        return result;
    }

    private void TryQueue(PriorityQueue<(int, int, int, int, int), (int, int)> candidates, int[] ids, int left, int right)
    {
        if (ids[left] < 0 || ids[right] < 0)
            return;
        if (_merges.TryGetValue((ids[left], ids[right]), out var merge))
            candidates.Enqueue((left, right, ids[left], ids[right], merge.Result), (merge.Rank, left));
    }
}
