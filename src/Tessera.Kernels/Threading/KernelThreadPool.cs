using System.Runtime.ExceptionServices;

namespace Tessera.Kernels.Threading;

/// <summary>
/// A fixed set of worker threads that run one parallel operation at a time: <see cref="Run"/> hands out task indices
/// 0..taskCount-1 (dynamic, via an atomic counter) to the workers and to the calling thread, and returns when all are
/// done. Workers spin briefly between operations (the next matmul of a decode step follows within microseconds) and
/// then block, so an idle pool costs no CPU. Nothing is allocated per call: the work is a function pointer plus an
/// opaque state pointer. One operation at a time: calls from several threads are serialised by a lock.
/// The pool also owns a <see cref="Memory.ScratchArena"/> that kernels run on it use for their temporary buffers.
/// </summary>
public sealed unsafe class KernelThreadPool : IDisposable
{
    /// <summary>Iterations a worker polls for new work before it blocks (roughly a millisecond), enough to bridge
    /// the gap between consecutive kernels of one forward pass.</summary>
    private const int SpinIterationsBeforeSleep = 4_000;

    /// <summary>Largest pool the kernels are tuned for; guards against absurd settings.</summary>
    public const int MaxThreads = 256;

    private readonly Thread[] _workers;
    private readonly object _sleepGate = new();
    private readonly object _runGate = new();

    private delegate*<void*, int, int, void> _work;
    private void* _state;
    private int _taskCount;
    private int _nextTask;
    private int _busyWorkers;
    private long _generation;
    private int _sleepers;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _failure;

    /// <param name="threadCount">Threads taking part in each operation, the calling thread included;
    /// 0 means <see cref="PhysicalCores.Count"/>.</param>
    public KernelThreadPool(int threadCount = 0)
    {
        if (threadCount == 0)
            threadCount = PhysicalCores.Count;
        if (threadCount < 1 || threadCount > MaxThreads)
            throw new ArgumentOutOfRangeException(nameof(threadCount), threadCount, $"thread count must be 1..{MaxThreads} (0 = physical cores)");
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int threadIndex = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(threadIndex)) { IsBackground = true, Name = $"tessera-kernel-{threadIndex}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that take part in an operation, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>Scratch memory for kernels run on this pool (one operation at a time, so one arena suffices).</summary>
    public Memory.ScratchArena Scratch { get; } = new();

    /// <summary>
    /// Runs <c>work(state, taskIndex, threadIndex)</c> for every task index in 0..taskCount-1, spread over the pool;
    /// <c>threadIndex</c> is in 0..ThreadCount-1 (0 = the caller) and lets tasks use per-thread scratch.
    /// An exception thrown by a task is rethrown here after all threads have stopped.
    /// </summary>
    public void Run(int taskCount, delegate*<void*, int, int, void> work, void* state)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(taskCount);
        if (work == null)
            throw new ArgumentNullException(nameof(work));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (taskCount == 0)
            return;
        if (taskCount == 1 || _workers.Length == 0)
        {
            for (int t = 0; t < taskCount; t++)
                work(state, t, 0);
            return;
        }

        lock (_runGate)
        {
            _work = work;
            _state = state;
            _taskCount = taskCount;
            _nextTask = 0;
            _busyWorkers = _workers.Length;
            _failure = null;
            Interlocked.Increment(ref _generation);   // full fence: publishes the job before workers see the new generation
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (_sleepGate)
                    Monitor.PulseAll(_sleepGate);
            }

            RunTasks(0);
            var spinner = new SpinWait();
            while (Volatile.Read(ref _busyWorkers) != 0)
                spinner.SpinOnce(sleep1Threshold: -1);
            _work = null;
            _state = null;
            _failure?.Throw();
        }
    }

    private void RunTasks(int threadIndex)
    {
        try
        {
            int count = _taskCount;
            for (int task = Interlocked.Increment(ref _nextTask) - 1; task < count; task = Interlocked.Increment(ref _nextTask) - 1)
                _work(_state, task, threadIndex);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _nextTask, int.MaxValue / 2);   // stop handing out the remaining tasks
        }
    }

    private void WorkerLoop(int threadIndex)
    {
        long seen = 0;
        while (true)
        {
            long generation = WaitForWork(seen);
            if (_disposed)
                return;
            seen = generation;
            RunTasks(threadIndex);
            Interlocked.Decrement(ref _busyWorkers);
        }
    }

    private long WaitForWork(long seen)
    {
        for (int i = 0; i < SpinIterationsBeforeSleep; i++)
        {
            long generation = Volatile.Read(ref _generation);
            if (generation != seen || _disposed)
                return generation;
            Thread.SpinWait(8);
        }
        lock (_sleepGate)
        {
            Interlocked.Increment(ref _sleepers);   // full fence, pairs with the generation increment in Run
            try
            {
                while (Volatile.Read(ref _generation) == seen && !_disposed)
                    Monitor.Wait(_sleepGate);
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
            return Volatile.Read(ref _generation);
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        lock (_sleepGate)
            Monitor.PulseAll(_sleepGate);
        foreach (var worker in _workers)
            worker.Join();
        Scratch.Dispose();
    }
}
