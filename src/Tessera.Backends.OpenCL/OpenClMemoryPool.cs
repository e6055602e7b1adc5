using Tessera.Backends.OpenCL.Native;

namespace Tessera.Backends.OpenCL;

/// <summary>A sub-allocation: <see cref="Bytes"/> bytes at byte <see cref="Offset"/> of page <see cref="Page"/>.</summary>
internal sealed class PoolBlock(OpenClMemoryPool.Page page, long offset, long bytes)
{
    internal OpenClMemoryPool.Page Page { get; } = page;
    public long Offset { get; } = offset;
    public long Bytes { get; } = bytes;

    /// <summary>The page's cl_mem, for kernel arguments and transfers.</summary>
    public IntPtr Memory => Page.Memory.Value;

    public bool Freed { get; internal set; }
}

/// <summary>
/// Device memory in large cl_mem pages, sub-allocated first-fit. One cl_mem per tensor would cost a driver call and
/// an allocation granule each (hundreds of tensors per model), and sub-buffers carry alignment rules of their own;
/// kernels therefore take (page, offset) pairs. Freed ranges go back to their page's free list, merged with their
/// neighbours. Pages holding one oversized allocation are released when it is freed; regular pages stay reserved
/// for reuse (scratch buffers come and go every step). Not thread-safe: the device is used by one thread at a time.
/// </summary>
internal sealed class OpenClMemoryPool : IDisposable
{
    private readonly Func<long, ClHandle> _createPage;
    private readonly List<Page> _pages = [];

    /// <param name="createPage">Creates a cl_mem of the given bytes (throws when the device cannot).</param>
    public OpenClMemoryPool(long pageBytes, int alignment, Func<long, ClHandle> createPage)
    {
        new OpenClOptions(pageBytes, alignment).Validate();
        PageBytes = pageBytes;
        Alignment = alignment;
        _createPage = createPage;
    }

    public long PageBytes { get; }
    public int Alignment { get; }

    /// <summary>Bytes of all pages held (what the device has given us).</summary>
    public long BytesReserved { get; private set; }

    /// <summary>Bytes of live allocations (each rounded up to the alignment).</summary>
    public long BytesLive { get; private set; }

    /// <summary>Live allocations.</summary>
    public int AllocationCount { get; private set; }

    public int PageCount => _pages.Count;

    /// <summary>
    /// 1 - (largest free range / all free bytes) over the reserved pages: 0 when the free memory is one range (or there
    /// is none), near 1 when it is scattered in small pieces that a large allocation cannot use.
    /// </summary>
    public double Fragmentation
    {
        get
        {
            long total = 0, largest = 0;
            foreach (var page in _pages)
            {
                foreach (var range in page.Free)
                {
                    total += range.Bytes;
                    largest = Math.Max(largest, range.Bytes);
                }
            }
            return total == 0 ? 0 : 1 - (double)largest / total;
        }
    }

    public PoolBlock Allocate(long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long size = RoundUp(Math.Max(bytes, 1));
        PoolBlock? block = null;
        if (size <= PageBytes)
        {
            foreach (var page in _pages)
            {
                if (!page.Dedicated && (block = page.TryTake(size)) is not null)
                    break;
            }
        }
        if (block is null)
        {
            bool dedicated = size > PageBytes;
            var page = new Page(_createPage(dedicated ? size : PageBytes), dedicated ? size : PageBytes, dedicated);
            _pages.Add(page);
            BytesReserved += page.Bytes;
            block = page.TryTake(size)!;
        }
        BytesLive += block.Bytes;
        AllocationCount++;
        return block;
    }

    public void Free(PoolBlock block)
    {
        if (block.Freed || _disposed)
            return;
        block.Freed = true;
        BytesLive -= block.Bytes;
        AllocationCount--;
        block.Page.Return(block.Offset, block.Bytes);
        if (block.Page.Dedicated)
        {
            _pages.Remove(block.Page);
            BytesReserved -= block.Page.Bytes;
            block.Page.Memory.Dispose();
        }
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var page in _pages)
            page.Memory.Dispose();
        _pages.Clear();
        BytesReserved = BytesLive = AllocationCount = 0;
    }

    private long RoundUp(long bytes) => (bytes + Alignment - 1) & ~(long)(Alignment - 1);

    /// <summary>A free range of a page.</summary>
    internal readonly record struct FreeRange(long Offset, long Bytes);

    /// <summary>One cl_mem and its free ranges, sorted by offset and never adjacent (merged on return).</summary>
    internal sealed class Page(ClHandle memory, long bytes, bool dedicated)
    {
        public ClHandle Memory { get; } = memory;
        public long Bytes { get; } = bytes;
        public bool Dedicated { get; } = dedicated;
        public List<FreeRange> Free { get; } = [new FreeRange(0, bytes)];

        public PoolBlock? TryTake(long size)
        {
            for (int i = 0; i < Free.Count; i++)
            {
                var range = Free[i];
                if (range.Bytes < size)
                    continue;
                if (range.Bytes == size)
                    Free.RemoveAt(i);
                else
                    Free[i] = new FreeRange(range.Offset + size, range.Bytes - size);
                return new PoolBlock(this, range.Offset, size);
            }
            return null;
        }

        public void Return(long offset, long size)
        {
            int i = 0;
            while (i < Free.Count && Free[i].Offset < offset)
                i++;
            var merged = new FreeRange(offset, size);
            if (i > 0 && Free[i - 1].Offset + Free[i - 1].Bytes == offset)
            {
                merged = new FreeRange(Free[i - 1].Offset, Free[i - 1].Bytes + size);
                Free.RemoveAt(--i);
            }
            if (i < Free.Count && merged.Offset + merged.Bytes == Free[i].Offset)
            {
                merged = merged with { Bytes = merged.Bytes + Free[i].Bytes };
                Free.RemoveAt(i);
            }
            Free.Insert(i, merged);
        }
    }
}
