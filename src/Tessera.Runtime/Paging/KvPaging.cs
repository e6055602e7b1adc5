namespace Tessera.Runtime.Paging;

/// <summary>How a <see cref="KvCache"/> divides its cells into pages.</summary>
public sealed record KvPaging
{
    /// <summary>Token cells per page; 0 means one page per sequence (each sequence contiguous, as without paging).</summary>
    public int PageSize { get; init; }

    /// <summary>Token cells of the whole pool; 0 means every sequence at full length (sequences x positions).</summary>
    public long TotalTokens { get; init; }

    /// <summary>Keep full pages for later sequences with the same prefix.</summary>
    public bool PrefixCache { get; init; }

    internal int PageSizeFor(int positionCapacity) => PageSize is > 0 ? Math.Min(PageSize, positionCapacity) : positionCapacity;

    internal int PageCountFor(int positionCapacity, int sequenceCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(PageSize, nameof(PageSize));
        ArgumentOutOfRangeException.ThrowIfNegative(TotalTokens, nameof(TotalTokens));
        int size = PageSizeFor(positionCapacity);
        long perSequence = (positionCapacity + size - 1) / size;
        long pages = TotalTokens > 0 ? (TotalTokens + size - 1) / size : perSequence * sequenceCapacity;
        if (pages > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(TotalTokens), TotalTokens, "the KV pool would have more than 2^31 pages");
        return (int)pages;
    }
}
