using Tessera.Runtime.Paging;
using Tessera.Tensors;

namespace Tessera.Runtime.Tests.Paging;

public sealed class PrefixCacheTests
{
    private const int PageSize = 4;

    private static int[] Tokens(params int[] values) => values;

    /// <summary>Caches the full pages of <paramref name="tokens"/> as one sequence would, holding each page once.</summary>
    private static List<int> CacheSequence(KvPagePool pool, PrefixCache cache, int[] tokens)
    {
        var pages = new List<int>();
        PrefixCache.Node? parent = null;
        for (int i = 0; i + PageSize <= tokens.Length; i += PageSize)
        {
            int page = pool.Allocate();
            pages.Add(page);
            parent = cache.Insert(parent, GgmlType.F16, tokens.AsSpan(i, PageSize), page);
            Assert.NotNull(parent);
        }
        return pages;
    }

    [Fact]
    public void The_longest_chain_of_full_pages_matches()
    {
        var pool = new KvPagePool(8, PageSize);
        var cache = new PrefixCache(pool);
        var pages = CacheSequence(pool, cache, Tokens(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
        Assert.Equal(3, cache.PageCount);

        var chain = cache.Match(Tokens(1, 2, 3, 4, 5, 6, 7, 8, 99, 10, 11, 12, 13), maxPages: 10, GgmlType.F16, PageSize);
        Assert.Equal(pages[..2], chain.Select(node => node.Page));
        Assert.Single(cache.Match(Tokens(1, 2, 3, 4, 5, 6, 7, 8, 9), maxPages: 1, GgmlType.F16, PageSize));
        Assert.Empty(cache.Match(Tokens(2, 2, 3, 4), maxPages: 10, GgmlType.F16, PageSize));
        Assert.Empty(cache.Match(Tokens(1, 2, 3), maxPages: 10, GgmlType.F16, PageSize));   // no full page
    }

    [Fact]
    public void A_page_is_only_reused_under_the_same_prefix()
    {
        var pool = new KvPagePool(8, PageSize);
        var cache = new PrefixCache(pool);
        CacheSequence(pool, cache, Tokens(1, 2, 3, 4, 5, 6, 7, 8));
        // The same second page after another first page is other content (its keys saw other tokens).
        Assert.Empty(cache.Match(Tokens(9, 9, 9, 9, 5, 6, 7, 8), maxPages: 2, GgmlType.F16, PageSize));
        var other = CacheSequence(pool, cache, Tokens(9, 9, 9, 9, 5, 6, 7, 8));
        Assert.Equal(other, cache.Match(Tokens(9, 9, 9, 9, 5, 6, 7, 8), maxPages: 2, GgmlType.F16, PageSize).Select(node => node.Page));
        Assert.Equal(4, cache.PageCount);
    }

    [Fact]
    public void Content_cached_twice_keeps_the_first_page()
    {
        var pool = new KvPagePool(4, PageSize);
        var cache = new PrefixCache(pool);
        var first = CacheSequence(pool, cache, Tokens(1, 2, 3, 4));
        int second = pool.Allocate();
        var node = cache.Insert(null, GgmlType.F16, Tokens(1, 2, 3, 4), second);
        Assert.Equal(first[0], node!.Page);
        Assert.False(pool.IsCached(second));
        Assert.Equal(1, cache.PageCount);
    }

    [Fact]
    public void Eviction_takes_the_least_recently_used_leaf_nobody_holds()
    {
        var pool = new KvPagePool(4, PageSize);
        var cache = new PrefixCache(pool);
        var a = CacheSequence(pool, cache, Tokens(1, 1, 1, 1, 2, 2, 2, 2));     // pages 0 <- 1
        var b = CacheSequence(pool, cache, Tokens(3, 3, 3, 3));                 // page 2
        foreach (int page in a.Concat(b))
            pool.Release(page);
        pool.Retain(b[0]);                                                      // a running sequence holds b
        cache.Match(Tokens(1, 1, 1, 1), maxPages: 1, GgmlType.F16, PageSize);                           // a's first page is the most recent

        int extra = pool.Allocate();                                            // the free page
        int reused = pool.Allocate();                                           // evicts a's leaf (page 1), not its parent
        Assert.Equal(a[1], reused);
        Assert.Equal(1, cache.Evictions);
        Assert.Single(cache.Match(Tokens(1, 1, 1, 1, 2, 2, 2, 2), maxPages: 2, GgmlType.F16, PageSize));
        Assert.Equal(a[0], pool.Allocate());                                    // then the parent, now a leaf
        Assert.Throws<KvCacheFullException>(() => pool.Allocate());             // b is held: never evicted
        Assert.Single(cache.Match(Tokens(3, 3, 3, 3), maxPages: 1, GgmlType.F16, PageSize));
        Assert.NotEqual(extra, a[0]);
    }

    [Fact]
    public void Nothing_is_cached_under_an_evicted_parent()
    {
        var pool = new KvPagePool(4, PageSize);
        var cache = new PrefixCache(pool);
        int page = pool.Allocate();
        var parent = cache.Insert(null, GgmlType.F16, Tokens(1, 2, 3, 4), page)!;
        pool.Release(page);
        cache.Clear();
        Assert.True(parent.Detached);
        Assert.Null(cache.Insert(parent, GgmlType.F16, Tokens(5, 6, 7, 8), pool.Allocate()));
        Assert.Equal(0, cache.PageCount);
        Assert.Equal(3, pool.FreeCount);
    }

    [Fact]
    public void Pages_of_another_cell_type_have_a_tree_of_their_own()
    {
        const int q8Size = 6;   // a Q8_0 page holds more tokens than an F16 page
        var pool = new KvPagePool(4, PageSize);
        var cache = new PrefixCache(pool);
        var tokens = Tokens(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        var half = CacheSequence(pool, cache, tokens[..4]);
        int q8Page = pool.Allocate();
        Assert.NotNull(cache.Insert(null, GgmlType.Q8_0, tokens.AsSpan(0, q8Size), q8Page));

        // Each type finds only its own pages, each in its own page size.
        Assert.Equal(half, cache.Match(tokens, maxPages: 3, GgmlType.F16, PageSize).Select(node => node.Page));
        Assert.Equal([q8Page], cache.Match(tokens, maxPages: 3, GgmlType.Q8_0, q8Size).Select(node => node.Page));
        Assert.Empty(cache.Match(tokens, maxPages: 3, GgmlType.F32, PageSize));

        // One clock for eviction: the F16 page was matched last, so the Q8_0 page goes first.
        pool.Release(half[0]);
        pool.Release(q8Page);
        cache.Match(tokens, maxPages: 1, GgmlType.F16, PageSize);
        pool.Allocate();
        pool.Allocate();
        Assert.Equal(q8Page, pool.Allocate());
        Assert.Empty(cache.Match(tokens, maxPages: 3, GgmlType.Q8_0, q8Size));
        Assert.Single(cache.Match(tokens, maxPages: 3, GgmlType.F16, PageSize));
    }
}
