namespace Tessera.Tokenizers;

/// <summary>
/// SentencePiece merging over one piece of text: start with one symbol per character (a surrogate
/// pair is one character), repeatedly merge the adjacent pair whose concatenation is the
/// highest-scoring token (leftmost on ties). Symbols form a linked list over the text and candidate
/// pairs sit in a priority queue, so a long word costs O(n log n), not a rescan per merge.
/// </summary>
internal sealed class ScoredSymbolMerger
{
    private struct Symbol
    {
        public int Start;
        public int Length;   // 0 once merged into its left neighbour
        public int Previous; // -1 at the start
        public int Next;     // -1 at the end
    }

    private readonly char[] _text;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly TokenizerVocabulary _vocabulary;
    private readonly List<Symbol> _symbols = [];
    // Priority: higher score first, then leftmost; PriorityQueue dequeues the smallest priority.
    private readonly PriorityQueue<(int Left, int Right, int Length), (float NegatedScore, int Left)> _candidates = new();

    public ScoredSymbolMerger(char[] text, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, TokenizerVocabulary vocabulary)
    {
        _text = text;
        _lookup = lookup;
        _vocabulary = vocabulary;
    }

    /// <summary>The final symbols, in order, as (start, length) ranges of the text.</summary>
    public IEnumerable<(int Start, int Length)> Run()
    {
        for (int i = 0; i < _text.Length;)
        {
            int length = char.IsHighSurrogate(_text[i]) && i + 1 < _text.Length && char.IsLowSurrogate(_text[i + 1]) ? 2 : 1;
            _symbols.Add(new Symbol { Start = i, Length = length, Previous = _symbols.Count - 1, Next = -1 });
            i += length;
        }
        for (int i = 0; i + 1 < _symbols.Count; i++)
        {
            var symbol = _symbols[i];
            symbol.Next = i + 1;
            _symbols[i] = symbol;
            TryAddCandidate(i, i + 1);
        }
        while (_candidates.TryDequeue(out var pair, out _))
            Merge(pair.Left, pair.Right, pair.Length);

        for (int i = _symbols.Count == 0 ? -1 : 0; i >= 0; i = _symbols[i].Next)
            yield return (_symbols[i].Start, _symbols[i].Length);
    }

    private void Merge(int left, int right, int expectedLength)
    {
        var l = _symbols[left];
        var r = _symbols[right];
        // Stale candidate: one side was merged away or grew since it was queued.
        if (l.Length == 0 || r.Length == 0 || l.Length + r.Length != expectedLength || l.Next != right)
            return;
        l.Length = expectedLength;
        l.Next = r.Next;
        r.Length = 0;
        _symbols[left] = l;
        _symbols[right] = r;
        if (l.Next >= 0)
        {
            var next = _symbols[l.Next];
            next.Previous = left;
            _symbols[l.Next] = next;
        }
        TryAddCandidate(l.Previous, left);
        TryAddCandidate(left, l.Next);
    }

    private void TryAddCandidate(int left, int right)
    {
        if (left < 0 || right < 0)
            return;
        var l = _symbols[left];
        int length = l.Length + _symbols[right].Length;
        if (!_lookup.TryGetValue(_text.AsSpan(l.Start, length), out int id))
            return;
        _candidates.Enqueue((left, right, length), (-_vocabulary.ScoreOf(id), left));
    }
}
