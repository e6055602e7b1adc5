using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Threading;

namespace Tessera.Kernels.Tests;

public sealed unsafe class MemoryReadProbeTests
{
    /// <summary>
    /// The probe is the bound decode is judged against, so it must read every byte it counts: a single set bit anywhere
    /// in the range (each of the four loads of a step, odd offsets inside a line) shows in the result, and a bit just
    /// past the range does not.
    /// </summary>
    [Fact]
    public void Read_range_loads_every_byte_it_counts()
    {
        const int bytes = 128 * 37;
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(bytes + 128, 64);
        try
        {
            var random = new TestRandom();
            var positions = Enumerable.Range(0, 64).Select(_ => random.Next(0, bytes)).Concat([0, 32, 64, 96, 127, bytes - 1]);
            foreach (int position in positions)
            {
                new Span<byte>(buffer, bytes + 128).Clear();
                buffer[position] = (byte)(1 << (position % 8));
                Assert.True(buffer[position] == OrOfLanes(MemoryReadProbe.ReadRange(buffer, bytes)),
                    $"the bit at byte {position} was not read (seed {random.Seed})");
            }
            new Span<byte>(buffer, bytes + 128).Clear();
            buffer[bytes] = 0xFF;
            Assert.Equal(0, OrOfLanes(MemoryReadProbe.ReadRange(buffer, bytes)));
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static int OrOfLanes(Vector256<byte> v)
    {
        int or = 0;
        for (int i = 0; i < Vector256<byte>.Count; i++)
            or |= v.GetElement(i);
        return or;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Read_rate_is_a_positive_finite_rate_for_each_thread_count(int threads)
    {
        using var pool = new KernelThreadPool(2);
        using var probe = new MemoryReadProbe(4L << 20);
        Assert.Equal(4L << 20, probe.Read(pool, threads));
        double rate = probe.BytesPerSecond(pool, threads, repeats: 2);
        Assert.True(double.IsFinite(rate) && rate > 0, $"read rate {rate}");
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        using var pool = new KernelThreadPool(2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MemoryReadProbe(100));
        using var probe = new MemoryReadProbe(1 << 20);
        Assert.Throws<ArgumentOutOfRangeException>(() => probe.Read(pool, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => probe.Read(pool, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => probe.BytesPerSecond(pool, 1, repeats: 0));
        probe.Dispose();
        Assert.Throws<ObjectDisposedException>(() => probe.Read(pool, 1));
    }
}
