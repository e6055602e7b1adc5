namespace Tessera.Runtime.Paging;

/// <summary>
/// Which KV pages are free, held by sequences (a reference count: shared prefix pages are held by several), or kept by
/// the <see cref="PrefixCache"/> for later requests. A page nobody holds and the prefix cache does not keep is free; one
/// only the prefix cache keeps is evictable, and <see cref="Allocate"/> evicts such pages (least recently used first)
/// when no page is free. Page ids index the cells of every layer alike (<see cref="Devices.DeviceKvLayer"/>).
/// </summary>
internal sealed class KvPagePool
{
    private readonly int[] _references;
    private readonly bool[] _cached;
    private readonly Stack<int> _free;

    public KvPagePool(int pageCount, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        PageCount = pageCount;
        PageSize = pageSize;
        _references = new int[pageCount];
        _cached = new bool[pageCount];
        // Low ids first, so a fresh pool hands out pages in order (contiguous cells for the first sequence).
        _free = new Stack<int>(Enumerable.Range(0, pageCount).Reverse());
    }

    public int PageCount { get; }
    public int PageSize { get; }
    public int FreeCount => _free.Count;

    /// <summary>Pages only the prefix cache keeps (each can be evicted).</summary>
    public int EvictableCount { get; private set; }

    /// <summary>Pages a new allocation can take: free now or after evictions.</summary>
    public int AvailableCount => FreeCount + EvictableCount;

    /// <summary>Pages held by sequences or kept by the prefix cache.</summary>
    public int UsedCount => PageCount - FreeCount;

    /// <summary>Evicts the least recently used evictable page; set by the prefix cache.</summary>
    public Func<bool>? EvictOne { get; set; }

    public int References(int page) => _references[page];

    public bool IsCached(int page) => _cached[page];

    /// <summary>True when a write must not touch the page in place: another sequence or the prefix cache sees it.</summary>
    public bool IsShared(int page) => _references[page] > 1 || _cached[page];

    /// <summary>A page held once by the caller; throws <see cref="KvCacheFullException"/> when none is free or evictable.</summary>
    public int Allocate()
    {
        while (_free.Count == 0)
        {
            if (EvictableCount == 0 || EvictOne is null || !EvictOne())
                throw new KvCacheFullException($"the KV cache's {PageCount} pages of {PageSize} tokens are all in use");
        }
        int page = _free.Pop();
        _references[page] = 1;
        return page;
    }

    public void Retain(int page)
    {
        if (_references[page]++ == 0 && _cached[page])
            EvictableCount--;
    }

    public void Release(int page)
    {
        if (_references[page] <= 0)
            throw new InvalidOperationException($"KV page {page} is released more often than it was held");
        if (--_references[page] > 0)
            return;
        if (_cached[page])
            EvictableCount++;
        else
            _free.Push(page);
    }

    /// <summary>The prefix cache starts keeping <paramref name="page"/> (held by the sequence that computed it).</summary>
    public void MarkCached(int page)
    {
        if (_cached[page])
            throw new InvalidOperationException($"KV page {page} is already in the prefix cache");
        _cached[page] = true;
        if (_references[page] == 0)
            EvictableCount++;
    }

    /// <summary>The prefix cache lets <paramref name="page"/> go; it is free unless a sequence still holds it.</summary>
    public void Uncache(int page)
    {
        if (!_cached[page])
            return;
        _cached[page] = false;
        if (_references[page] == 0)
        {
            EvictableCount--;
            _free.Push(page);
        }
    }
}
