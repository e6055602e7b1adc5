using Tessera.Tensors;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>The device memory pool: alignment, reuse, coalescing, fragmentation, oversized allocations.</summary>
public sealed class MemoryPoolTests
{
    private const long Page = 64 << 10;
    private const int Alignment = 512;

    private static OpenClDevice SmallPages() => OpenClTestDevice.Create(new OpenClOptions(Page, Alignment));

    [OpenClFact]
    public void AllocationsAreAlignedAndRounded()
    {
        using var device = SmallPages();
        var pool = device.Pool;
        var blocks = new[] { 1L, 100, 512, 513, 3000 }.Select(pool.Allocate).ToArray();
        foreach (var block in blocks)
        {
            Assert.Equal(0, block.Offset % Alignment);
            Assert.Equal(0, block.Bytes % Alignment);
        }
        Assert.Equal([512L, 512, 512, 1024, 3072], blocks.Select(b => b.Bytes));
        Assert.Equal(blocks.Sum(b => b.Bytes), pool.BytesLive);
        Assert.Equal(5, pool.AllocationCount);
        Assert.Equal(1, pool.PageCount);
        Assert.Equal(Page, pool.BytesReserved);
    }

    [OpenClFact]
    public void FreedRangesAreReusedAndCoalesced()
    {
        using var device = SmallPages();
        var pool = device.Pool;
        var a = pool.Allocate(Page / 4);
        var b = pool.Allocate(Page / 4);
        var c = pool.Allocate(Page / 4);
        Assert.Equal(0, pool.Fragmentation);      // one free range: the last quarter

        pool.Free(b);
        var again = pool.Allocate(Page / 8);        // first fit: the hole b left
        Assert.Equal(b.Offset, again.Offset);
        pool.Free(again);

        pool.Free(a);
        // Free: [0, 1/2) (a and b merged) and [3/4, 1): the largest is 2/3 of the free bytes.
        Assert.Equal(1 - 2.0 / 3, pool.Fragmentation, 9);
        Assert.Equal(1 - 2.0 / 3, device.PoolStatistics.Fragmentation, 9);

        pool.Free(c);
        Assert.Equal(0, pool.Fragmentation);
        Assert.Equal(0, pool.BytesLive);
        Assert.Equal(0, pool.AllocationCount);
        var whole = pool.Allocate(Page);           // only fits if everything merged back into one range
        Assert.Equal(0, whole.Offset);
        Assert.Equal(1, pool.PageCount);
        pool.Free(whole);
        pool.Free(whole);                           // a second free is ignored
        Assert.Equal(0, pool.BytesLive);
    }

    [OpenClFact]
    public void LargeAllocationsGetAPageOfTheirOwn()
    {
        using var device = SmallPages();
        var pool = device.Pool;
        var small = pool.Allocate(1000);
        var large = pool.Allocate(3 * Page + 1);
        Assert.Equal(2, pool.PageCount);
        Assert.Equal(0, large.Offset);
        Assert.Equal(Page + 3 * Page + Alignment, pool.BytesReserved);
        Assert.Equal(device.MemoryTotal - pool.BytesReserved, device.MemoryFree);
        var next = pool.Allocate(1000);             // never placed in the dedicated page
        Assert.Same(small.Page, next.Page);
        pool.Free(large);
        Assert.Equal(1, pool.PageCount);
        Assert.Equal(Page, pool.BytesReserved);
    }

    [OpenClFact]
    public void DeviceObjectsLiveInThePoolAndReturnToIt()
    {
        using var device = SmallPages();
        var before = device.PoolStatistics;
        var buffer = device.Upload(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray());
        var cache = device.CreateKvLayer(2, 64, 100, 2, GgmlType.F16);
        var weights = new byte[34 * 4];
        DeviceMatrixFrom(device, weights, out var matrix);
        var during = device.PoolStatistics;
        Assert.Equal(before.AllocationCount + 4, during.AllocationCount);  // keys and values are two blocks
        Assert.True(during.BytesLive >= 4000 + cache.Bytes + matrix.Bytes);

        // A reused block is zeroed again by Allocate.
        int offset = (int)buffer.Length;
        buffer.Dispose();
        using var fresh = device.Allocate(offset);
        Assert.All(device.ReadAll(fresh), v => Assert.Equal(0f, v));

        cache.Dispose();
        matrix.Dispose();
        fresh.Dispose();
        Assert.Equal(before.AllocationCount, device.PoolStatistics.AllocationCount);
        Assert.Equal(before.BytesLive, device.PoolStatistics.BytesLive);
    }

    private static unsafe void DeviceMatrixFrom(OpenClDevice device, byte[] q8Rows, out Devices.DeviceMatrix matrix)
    {
        fixed (byte* p = q8Rows)
            matrix = device.UploadMatrix("pool.test", GgmlType.Q8_0, p, 4, 32);
    }

    [OpenClFact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OpenClPlatform.Discover(new OpenClOptions(Alignment: 100), out _));
        Assert.Throws<ArgumentException>(() => OpenClPlatform.Discover(new OpenClOptions(PageBytes: 1000), out _));
    }
}
