using Tessera.Runtime.Paging;

namespace Tessera.Runtime.Tests.Paging;

public sealed class KvPagePoolTests
{
    [Fact]
    public void Pages_return_to_the_pool_when_the_last_holder_lets_go()
    {
        var pool = new KvPagePool(3, 16);
        int a = pool.Allocate(), b = pool.Allocate();
        Assert.Equal([0, 1], new[] { a, b });
        Assert.Equal(1, pool.FreeCount);
        pool.Retain(a);
        Assert.True(pool.IsShared(a));
        pool.Release(a);
        Assert.False(pool.IsShared(a));
        Assert.Equal(1, pool.FreeCount);
        pool.Release(a);
        Assert.Equal(2, pool.FreeCount);
        Assert.Equal(a, pool.Allocate());   // the freed page is handed out again
        Assert.Throws<InvalidOperationException>(() => { pool.Release(b); pool.Release(b); });
    }

    [Fact]
    public void A_cached_page_nobody_holds_is_evictable_and_allocation_evicts_it()
    {
        var pool = new KvPagePool(2, 8);
        int a = pool.Allocate(), b = pool.Allocate();
        pool.MarkCached(a);
        Assert.True(pool.IsShared(a));   // the prefix cache sees it: writes must copy
        pool.Release(a);
        Assert.Equal(1, pool.EvictableCount);
        Assert.Equal(0, pool.FreeCount);
        Assert.Equal(1, pool.AvailableCount);

        int evictions = 0;
        pool.EvictOne = () => { evictions++; pool.Uncache(a); return true; };
        Assert.Equal(a, pool.Allocate());
        Assert.Equal(1, evictions);
        Assert.Equal(0, pool.EvictableCount);
        Assert.Throws<KvCacheFullException>(() => pool.Allocate());
        pool.Release(b);
        Assert.Equal(b, pool.Allocate());
    }

    [Fact]
    public void Retaining_a_cached_page_makes_it_unevictable()
    {
        var pool = new KvPagePool(1, 4);
        int a = pool.Allocate();
        pool.MarkCached(a);
        pool.Release(a);
        Assert.Equal(1, pool.EvictableCount);
        pool.Retain(a);
        Assert.Equal(0, pool.EvictableCount);
        pool.EvictOne = () => false;
        Assert.Throws<KvCacheFullException>(() => pool.Allocate());
        pool.Release(a);
        pool.Uncache(a);
        Assert.Equal(1, pool.FreeCount);
    }
}
