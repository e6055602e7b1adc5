using Tessera.Kernels.Threading;

namespace Tessera.Kernels.Tests;

public sealed unsafe class KernelThreadPoolTests
{
    private static void CountTask(void* state, int task, int threadIndex) => Interlocked.Increment(ref ((int*)state)[task]);

    private static void RecordThread(void* state, int task, int threadIndex) => ((int*)state)[task] = threadIndex;

    private static void FailingTask(void* state, int task, int threadIndex)
    {
        if (task == 5)
            throw new InvalidOperationException("task 5 failed");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_task_runs_exactly_once_across_many_operations(int threads)
    {
        using var pool = new KernelThreadPool(threads);
        var counts = new int[97];
        fixed (int* c = counts)
        {
            for (int run = 0; run < 500; run++)
                pool.Run(counts.Length, &CountTask, c);
        }
        Assert.All(counts, n => Assert.Equal(500, n));
    }

    [Fact]
    public void Thread_indices_stay_within_the_pool()
    {
        using var pool = new KernelThreadPool(3);
        var seen = new int[300];
        fixed (int* s = seen)
            pool.Run(seen.Length, &RecordThread, s);
        Assert.All(seen, i => Assert.InRange(i, 0, 2));
    }

    [Fact]
    public void A_task_exception_reaches_the_caller_and_the_pool_keeps_working()
    {
        using var pool = new KernelThreadPool(2);
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(64, &FailingTask, null));
        Assert.Equal("task 5 failed", e.Message);
        var counts = new int[10];
        fixed (int* c = counts)
            pool.Run(counts.Length, &CountTask, c);
        Assert.All(counts, n => Assert.Equal(1, n));
    }

    private static void BusyTask(void* state, int task, int threadIndex) => Thread.SpinWait(20_000);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Utilization_is_counted_only_while_measuring_is_on(int threads)
    {
        using var pool = new KernelThreadPool(threads);
        Assert.False(pool.MeasuresUtilization);
        pool.Run(8, &BusyTask, null);
        pool.Run(1, &BusyTask, null);
        Assert.Equal((0L, 0L), pool.Utilization);

        pool.MeasuresUtilization = true;
        pool.Run(8, &BusyTask, null);
        pool.Run(1, &BusyTask, null);
        var (busy, capacity) = pool.Utilization;
        Assert.True(busy > 0, "busy time was not counted");
        Assert.InRange(busy, 1, capacity);

        pool.MeasuresUtilization = false;
        pool.Run(8, &BusyTask, null);
        Assert.Equal((busy, capacity), pool.Utilization);
    }

    [Fact]
    public void Workers_that_went_to_sleep_wake_up_for_new_work()
    {
        using var pool = new KernelThreadPool(2);
        Thread.Sleep(50);   // long enough for the spinning workers to block
        var counts = new int[16];
        fixed (int* c = counts)
            pool.Run(counts.Length, &CountTask, c);
        Assert.All(counts, n => Assert.Equal(1, n));
    }

    [Fact]
    public void Settings_are_validated_and_default_to_physical_cores()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelThreadPool(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelThreadPool(KernelThreadPool.MaxThreads + 1));
        using var pool = new KernelThreadPool();
        Assert.Equal(PhysicalCores.Count, pool.ThreadCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(KernelThreadPool.MaxTasks + 1, &CountTask, null));
        Assert.InRange(PhysicalCores.Count, 1, Environment.ProcessorCount);
    }
}
