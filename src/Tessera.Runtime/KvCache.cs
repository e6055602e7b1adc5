using System.Runtime.InteropServices;
using Tessera.Devices;
using Tessera.Models;
using Tessera.Runtime.Paging;
using Tessera.Tensors;

namespace Tessera.Runtime;

/// <summary>
/// Keys and values of every layer as one pool of pages (<see cref="PageCount"/> pages of <see cref="PageSize"/> token
/// cells each, F16, F32 or Q8_0) shared by up to <see cref="SequenceCapacity"/> sequences of up to
/// <see cref="PositionCapacity"/> positions. A sequence holds a page table and grows page by page, so memory follows
/// actual lengths. With the prefix cache on, full pages stay behind when their sequence ends and later sequences
/// starting with the same tokens take them instead of recomputing them; a write into a page another sequence (or the
/// prefix cache) sees copies that page first. Each layer's cells live on the device that runs that layer's attention
/// (<see cref="DeviceKvLayer"/>), so attention never crosses the bus. A sequence may keep its cells in Q8_0 instead of
/// the cache's type (<see cref="SetSequenceType"/>, the load-shedding ladder's KV rung): its pages are the same pages,
/// each holding more cells (60 Q8_0 cells where an F16 page holds 32), so it needs about half the pages.
/// Not thread-safe: the context serialises calls.
/// </summary>
public sealed class KvCache : IKvCacheSeam, IDisposable
{
    private readonly DeviceKvLayer[] _layers;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly KvPagePool _pool;
    private readonly PrefixCache? _prefix;
    private readonly List<int>[] _tables;
    private readonly List<PrefixCache.Node>[] _published;   // per sequence: the tree node of each of its leading full pages
    private readonly bool[] _publishStopped;
    private readonly GgmlType[] _types;                      // per sequence: the type of its cells

    /// <param name="devices">the device of each layer's attention</param>
    /// <param name="paging">page size and count, and the prefix cache; null: one page per sequence, no prefix cache</param>
    public KvCache(Hyperparameters hp, int positionCapacity, int sequenceCapacity, GgmlType elementType, IReadOnlyList<ComputeDevice> devices,
        KvPaging? paging = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(positionCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceCapacity);
        DeviceKvLayer.CheckType(elementType, hp.HeadDim);
        if (devices.Count != hp.LayerCount)
            throw new ArgumentException($"{devices.Count} devices given for {hp.LayerCount} layers", nameof(devices));
        paging ??= new KvPaging();
        ElementType = elementType;
        PositionCapacity = positionCapacity;
        SequenceCapacity = sequenceCapacity;
        PageSize = paging.PageSizeFor(positionCapacity);
        PageCount = paging.PageCountFor(positionCapacity, sequenceCapacity);
        _kvHeads = hp.KvHeadCount;
        _headDim = hp.HeadDim;
        _pool = new KvPagePool(PageCount, PageSize);
        _prefix = paging.PrefixCache ? new PrefixCache(_pool) : null;
        _tables = Enumerable.Range(0, sequenceCapacity).Select(_ => new List<int>()).ToArray();
        _published = Enumerable.Range(0, sequenceCapacity).Select(_ => new List<PrefixCache.Node>()).ToArray();
        _publishStopped = new bool[sequenceCapacity];
        _types = Enumerable.Repeat(elementType, sequenceCapacity).ToArray();
        _layers = new DeviceKvLayer[hp.LayerCount];
        try
        {
            for (int layer = 0; layer < _layers.Length; layer++)
                _layers[layer] = Create(devices[layer]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public GgmlType ElementType { get; }
    public int PositionCapacity { get; }
    public int SequenceCapacity { get; }

    /// <summary>Token cells per page.</summary>
    public int PageSize { get; }

    public int PageCount { get; }

    /// <summary>Pages held by sequences or kept by the prefix cache.</summary>
    public int PagesUsed => _pool.UsedCount;

    /// <summary>Pages only the prefix cache keeps: reusable, and evicted first when the pool runs short.</summary>
    public int EvictablePages => _pool.EvictableCount;

    /// <summary>Pages the prefix cache keeps (some also held by running sequences).</summary>
    public int PrefixCachedPages => _prefix?.PageCount ?? 0;

    /// <summary>Pages the prefix cache has evicted to make room.</summary>
    public long PrefixEvictions => _prefix?.Evictions ?? 0;

    public bool PrefixCacheEnabled => _prefix is not null;

    public long TotalBytes => _layers.Sum(l => l?.Bytes ?? 0);

    /// <summary>Bytes of one layer's cells.</summary>
    public long LayerBytes => DeviceKvLayer.BytesFor(_kvHeads, _headDim, (long)PageSize * PageCount, ElementType);

    public DeviceKvLayer Layer(int layer) => _layers[layer];

    public ReadOnlySpan<int> Pages(int sequenceId) => CollectionsMarshal.AsSpan(_tables[sequenceId]);

    /// <summary>The type of <paramref name="sequenceId"/>'s cells: <see cref="ElementType"/> unless set otherwise.</summary>
    public GgmlType SequenceType(int sequenceId) => _types[sequenceId];

    /// <summary>Token cells per page of <paramref name="sequenceId"/>.</summary>
    public int SequencePageSize(int sequenceId) => _layers[0].PageCellsFor(_types[sequenceId]);

    /// <summary>Whether sequences may keep their cells in <paramref name="cellType"/>: the cache's own type, or Q8_0
    /// when heads are whole blocks and every layer's device reads it.</summary>
    public bool CanHold(GgmlType cellType)
    {
        if (cellType == ElementType)
            return true;
        if (cellType != GgmlType.Q8_0 || _headDim % 32 != 0)
            return false;
        return _layers.All(layer => layer.Device.SupportsKvType(cellType)) && _layers[0].PageCellsFor(cellType) > PageSize;
    }

    /// <summary>
    /// Makes <paramref name="sequenceId"/> keep its cells in <paramref name="cellType"/> from now on. A change of type
    /// lets go of the sequence's pages first (their cells are of the old type).
    /// </summary>
    public void SetSequenceType(int sequenceId, GgmlType cellType)
    {
        if (_types[sequenceId] == cellType)
            return;
        if (!CanHold(cellType))
            throw new ArgumentException($"this KV cache cannot keep cells in {cellType}", nameof(cellType));
        ReleaseSequence(sequenceId);
        _types[sequenceId] = cellType;
    }

    /// <summary>Cells of the pages <paramref name="sequenceId"/> holds (whole pages).</summary>
    public long AllocatedCells(int sequenceId) => (long)_tables[sequenceId].Count * SequencePageSize(sequenceId);

    /// <summary>Reserves pages for every run of <paramref name="batch"/> (see <see cref="Reserve(int, int, int)"/>).</summary>
    public void Reserve(TokenBatch batch)
    {
        for (int r = 0; r < batch.RunCount; r++)
        {
            var (start, end) = batch.Run(r);
            Reserve(batch.SequenceIds[start], batch.Positions[start], batch.Positions[end - 1] + 1);
        }
    }

    /// <summary>Whether <see cref="Reserve(int, int, int)"/> would find the pages it needs.</summary>
    public bool CanReserve(int sequenceId, int start, int end) => PagesNeeded(sequenceId, start, end) <= _pool.AvailableCount;

    /// <summary>
    /// Makes positions start..end-1 of <paramref name="sequenceId"/> writable: pages past the new end are let go, shared
    /// pages in the range are replaced by private copies (of the positions before start) and missing pages are
    /// allocated, evicting cached prefixes when the pool runs short. Positions from start on are forgotten.
    /// </summary>
    /// <exception cref="KvCacheFullException">running sequences hold every page</exception>
    public void Reserve(int sequenceId, int start, int end)
    {
        if (start < 0 || end <= start || end > PositionCapacity)
            throw new ArgumentOutOfRangeException(nameof(end), $"positions {start}..{end - 1} are outside 0..{PositionCapacity - 1}");
        if (PagesNeeded(sequenceId, start, end) > _pool.AvailableCount)
            throw new KvCacheFullException($"positions {start}..{end - 1} of sequence {sequenceId} need more KV pages than the {_pool.AvailableCount} free "
                + $"(the pool has {PageCount} pages of {PageSize} tokens)");
        var table = _tables[sequenceId];
        int size = SequencePageSize(sequenceId);
        int first = start / size, last = (end + size - 1) / size;
        Truncate(sequenceId, last);
        ForgetPublished(sequenceId, first);
        while (table.Count < first)
            table.Add(_pool.Allocate());   // a batch that skips positions: the skipped cells hold nothing useful
        for (int i = first; i < last; i++)
        {
            if (i == table.Count)
                table.Add(_pool.Allocate());
            else if (_pool.IsShared(table[i]))
                table[i] = CopyOnWrite(table[i], i == first ? start - i * size : 0, _types[sequenceId]);
        }
    }

    /// <summary>Lets go of every page of <paramref name="sequenceId"/>; cached full pages stay in the prefix cache.</summary>
    public void ReleaseSequence(int sequenceId)
    {
        Truncate(sequenceId, 0);
        ForgetPublished(sequenceId, 0);
    }

    /// <summary>
    /// When the prefix cache holds a chain of pages matching <paramref name="tokens"/> (at most
    /// <paramref name="maxTokens"/> tokens) that covers more than <paramref name="longerThan"/> tokens, lets go of the
    /// pages <paramref name="sequenceId"/> holds and gives it that chain instead. Returns the tokens the chain covers (a
    /// multiple of the sequence's page size), or 0 when there is no longer one (the sequence is left as it was).
    /// </summary>
    public int AttachLongerCachedPrefix(int sequenceId, ReadOnlySpan<int> tokens, int maxTokens, int longerThan)
    {
        if (_prefix is null)
            return 0;
        int size = SequencePageSize(sequenceId);
        var chain = _prefix.Match(tokens, Math.Max(0, Math.Min(maxTokens, tokens.Length)) / size, _types[sequenceId], size);
        if (chain.Count * size <= longerThan)
            return 0;
        // The chain's pages stay cached while the sequence's own are released, so none of them can be evicted here.
        ReleaseSequence(sequenceId);
        foreach (var node in chain)
        {
            _pool.Retain(node.Page);
            _tables[sequenceId].Add(node.Page);
        }
        _published[sequenceId].AddRange(chain);
        return chain.Count * size;
    }

    /// <summary>Offers the full pages of <paramref name="sequenceId"/>, whose cells hold <paramref name="tokens"/> from
    /// position 0, to the prefix cache.</summary>
    public void Publish(int sequenceId, ReadOnlySpan<int> tokens)
    {
        if (_prefix is null || _publishStopped[sequenceId])
            return;
        var table = _tables[sequenceId];
        var published = _published[sequenceId];
        int size = SequencePageSize(sequenceId);
        int full = Math.Min(tokens.Length / size, table.Count);
        for (int i = published.Count; i < full; i++)
        {
            var node = _prefix.Insert(i == 0 ? null : published[i - 1], _types[sequenceId], tokens.Slice(i * size, size), table[i]);
            if (node is null)
            {
                _publishStopped[sequenceId] = true;
                return;
            }
            published.Add(node);
        }
    }

    /// <summary>Empties the prefix cache (after a device failure lost its cells); sequences keep their pages.</summary>
    public void ClearPrefixCache()
    {
        _prefix?.Clear();
        for (int sequence = 0; sequence < SequenceCapacity; sequence++)
            ForgetPublished(sequence, 0);
    }

    /// <summary>Moves layer <paramref name="layer"/>'s cells to <paramref name="device"/>: new, empty cells (the
    /// caller recomputes them; the old device may have failed and lost them).</summary>
    public void Relocate(int layer, ComputeDevice device)
    {
        if (_layers[layer].Device == device)
            return;
        var replacement = Create(device);
        Release(_layers[layer]);
        _layers[layer] = replacement;
    }

    /// <summary>Fresh pages <see cref="Reserve(int, int, int)"/> takes for this range.</summary>
    private int PagesNeeded(int sequenceId, int start, int end)
    {
        var table = _tables[sequenceId];
        int size = SequencePageSize(sequenceId);
        int first = start / size, last = (end + size - 1) / size;
        int needed = Math.Max(0, first - table.Count);
        for (int i = first; i < last; i++)
        {
            if (i >= table.Count || _pool.IsShared(table[i]))
                needed++;
        }
        return needed;
    }

    /// <summary>A private page with the first <paramref name="cells"/> cells (of <paramref name="cellType"/>) of
    /// <paramref name="shared"/> in every layer.</summary>
    private int CopyOnWrite(int shared, int cells, GgmlType cellType)
    {
        int copy = _pool.Allocate();
        try
        {
            if (cells > 0)
            {
                foreach (var layer in _layers)
                    layer.CopyCells(shared, copy, cells, cellType);
            }
        }
        catch
        {
            _pool.Release(copy);
            throw;
        }
        _pool.Release(shared);
        return copy;
    }

    /// <summary>Keeps the first <paramref name="pages"/> pages of the sequence's table.</summary>
    private void Truncate(int sequenceId, int pages)
    {
        var table = _tables[sequenceId];
        while (table.Count > pages)
        {
            _pool.Release(table[^1]);
            table.RemoveAt(table.Count - 1);
        }
    }

    /// <summary>The pages from <paramref name="pages"/> on change content: their tree nodes no longer describe them.</summary>
    private void ForgetPublished(int sequenceId, int pages)
    {
        var published = _published[sequenceId];
        if (published.Count > pages)
            published.RemoveRange(pages, published.Count - pages);
        _publishStopped[sequenceId] = false;
    }

    private DeviceKvLayer Create(ComputeDevice device) => device.SupportsKvType(ElementType)
        ? device.CreateKvLayer(_kvHeads, _headDim, PageSize, PageCount, ElementType)
        : throw new NotSupportedException($"device {device.Name} keeps the KV cache in F16 or F32, not {ElementType}; "
            + "use KV type f16, or keep attention on the CPU");

    private static void Release(DeviceKvLayer? layer)
    {
        try
        {
            layer?.Dispose();
        }
        catch (Exception)
        {
            // The cells of a failed device are gone with it.
        }
    }

    public void Dispose()
    {
        for (int layer = 0; layer < _layers.Length; layer++)
        {
            Release(_layers[layer]);
            _layers[layer] = null!;
        }
    }
}
