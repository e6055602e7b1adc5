using Tessera.Tensors;

namespace Tessera.Runtime.Paging;

/// <summary>
/// A radix tree over token ids at page granularity: each node is one full KV page whose keys and values were computed
/// from its <see cref="Node.Tokens"/> after the tokens of its ancestors (a page's contents depend on everything before
/// it, so a page is only reusable under the same path). A new sequence reuses the longest chain of pages matching its
/// prompt from position 0, whichever earlier sequence computed them. The tree keeps its pages in the
/// <see cref="KvPagePool"/>; a page no sequence holds is evicted when the pool runs short, least recently used leaf first.
/// Pages of each cell type have a tree of their own (a Q8_0 page holds other cells, and more tokens, than an F16 one);
/// one clock orders them all for eviction.
/// </summary>
internal sealed class PrefixCache
{
    private readonly KvPagePool _pool;
    private readonly Dictionary<GgmlType, Node> _roots = [];
    private readonly HashSet<Node> _nodes = [];
    private long _clock;

    public PrefixCache(KvPagePool pool)
    {
        _pool = pool;
        pool.EvictOne = EvictOne;
    }

    /// <summary>Pages the tree keeps.</summary>
    public int PageCount => _nodes.Count;

    /// <summary>Pages evicted so far.</summary>
    public long Evictions { get; private set; }

    /// <summary>The longest chain of cached pages of <paramref name="cellType"/> (<paramref name="size"/> tokens each)
    /// matching <paramref name="tokens"/> from position 0, at most <paramref name="maxPages"/> long; its nodes count as
    /// just used.</summary>
    public List<Node> Match(ReadOnlySpan<int> tokens, int maxPages, GgmlType cellType, int size)
    {
        var chain = new List<Node>();
        var node = Root(cellType);
        long now = ++_clock;
        for (int i = 0; i < maxPages && (i + 1) * size <= tokens.Length; i++)
        {
            if (!node.Children.TryGetValue(new PageKey(tokens.Slice(i * size, size).ToArray()), out var child))
                break;
            child.LastUsed = now;
            chain.Add(child);
            node = child;
        }
        return chain;
    }

    /// <summary>
    /// Keeps <paramref name="page"/>, computed from <paramref name="pageTokens"/> after the path of
    /// <paramref name="parent"/> (null: the start of a sequence whose pages hold <paramref name="cellType"/>). Returns the node that now stands for this content: an
    /// existing one when another sequence cached the same content first (its page stays; the caller keeps its own), or
    /// null when <paramref name="parent"/> was evicted meanwhile (nothing further of that sequence can be cached).
    /// </summary>
    public Node? Insert(Node? parent, GgmlType cellType, ReadOnlySpan<int> pageTokens, int page)
    {
        parent ??= Root(cellType);
        if (parent.Detached)
            return null;
        var key = new PageKey(pageTokens.ToArray());
        long now = ++_clock;
        if (parent.Children.TryGetValue(key, out var known))
        {
            known.LastUsed = now;
            return known;
        }
        if (_pool.IsCached(page))
            return null;  // the page already stands for other content (the sequence diverged and came back)
        var node = new Node(parent, key.Tokens, page) { LastUsed = now };
        parent.Children.Add(key, node);
        _nodes.Add(node);
        _pool.MarkCached(page);
        return node;
    }

    /// <summary>Drops every page (after a device failure their contents are gone).</summary>
    public void Clear()
    {
        foreach (var node in _nodes)
        {
            node.Detached = true;
            _pool.Uncache(node.Page);
        }
        _nodes.Clear();
        _roots.Clear();
    }

    private Node Root(GgmlType cellType)
    {
        if (!_roots.TryGetValue(cellType, out var root))
            _roots.Add(cellType, root = new Node(null, [], -1));
        return root;
    }

    /// <summary>Evicts the least recently used leaf whose page no sequence holds; false when there is none.</summary>
    private bool EvictOne()
    {
        Node? oldest = null;
        foreach (var node in _nodes)
        {
            if (node.Children.Count == 0 && _pool.References(node.Page) == 0 && (oldest is null || node.LastUsed < oldest.LastUsed))
                oldest = node;
        }
        if (oldest is null)
            return false;
        oldest.Parent!.Children.Remove(new PageKey(oldest.Tokens));
        oldest.Detached = true;
        _nodes.Remove(oldest);
        _pool.Uncache(oldest.Page);
        Evictions++;
        return true;
    }

    internal sealed class Node(Node? parent, int[] tokens, int page)
    {
        public Node? Parent { get; } = parent;

        /// <summary>The page's tokens, in position order.</summary>
        public int[] Tokens { get; } = tokens;

        public int Page { get; } = page;
        public Dictionary<PageKey, Node> Children { get; } = [];
        public long LastUsed { get; set; }

        /// <summary>Removed from the tree (evicted or cleared).</summary>
        public bool Detached { get; set; }
    }

    /// <summary>A page's tokens as a dictionary key (compared by content).</summary>
    internal readonly struct PageKey(int[] tokens) : IEquatable<PageKey>
    {
        private readonly int _hash = Hash(tokens);

        public int[] Tokens { get; } = tokens;

        public bool Equals(PageKey other) => _hash == other._hash && Tokens.AsSpan().SequenceEqual(other.Tokens);

        public override bool Equals(object? obj) => obj is PageKey other && Equals(other);

        public override int GetHashCode() => _hash;

        private static int Hash(int[] tokens)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tokens.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
