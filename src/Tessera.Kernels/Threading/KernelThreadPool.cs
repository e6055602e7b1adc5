using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Tessera.Kernels.Threading;

/// <summary>
/// A fixed set of worker threads that run one parallel operation at a time: <see cref="Run"/> hands out task indices
/// 0..taskCount-1 (dynamic, via an atomic counter) to the workers and to the calling thread, and returns when all are
/// done. Workers spin briefly between operations (the next matmul of a decode step follows within microseconds) and
/// then block, so an idle pool costs no CPU. Nothing is allocated per call: the work is a function pointer plus an
/// opaque state pointer. One operation at a time: calls from several threads are serialised by a lock.
/// Thread pinning is not done: the OS scheduler keeps the workers on separate cores well enough on the machines measured.
/// The pool also owns a <see cref="Memory.ScratchArena"/> that kernels run on it use for their temporary buffers.
/// </summary>
public sealed unsafe class KernelThreadPool : IDisposable
{
    /// <summary>Iterations a worker polls for new work before it blocks (roughly a millisecond), enough to bridge
    /// the gap between consecutive kernels of one forward pass.</summary>
    private const int SpinIterationsBeforeSleep = 4_000;

    /// <summary>Largest pool the kernels are tuned for; guards against absurd settings.</summary>
    public const int MaxThreads = 256;

    /// <summary>Most tasks one operation may have: the task index lives in the low bits of the dispatch word.</summary>
    public const int MaxTasks = (1 << TaskBits) - 1;   // TaskMask itself is never a task: it marks a closed dispatch

    private const int TaskBits = 24;
    private const long TaskMask = (1L << TaskBits) - 1;

    private readonly Thread[] _workers;
    private readonly object _sleepGate = new();
    private readonly object _runGate = new();

    private delegate*<void*, int, int, void> _work;
    private void* _state;
    private int _taskCount;
    // Generation (high bits) and next task index (low bits) in one word, claimed with compare-exchange: a worker
    // that wakes late can never take a task of a newer operation with an older operation's job fields.
    private long _dispatch;
    private int _completed;
    private int _sleepers;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _failure;
    private KernelThreadPool?[]? _singleThreaded;
    // Utilisation: timestamp ticks spent inside tasks, and ticks the pool was held by operations times its threads.
    private long _busyTicks;
    private long _capacityTicks;
    private volatile bool _measures;

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
    /// Time spent in tasks against time available (operations' wall time x threads), in Stopwatch ticks, since the pool
    /// started: 1 - busy / capacity is the fraction the threads sat idle inside operations (waiting at a barrier for a
    /// longer task, or for a single-task operation). Between operations nothing is counted.
    /// </summary>
    /// <remarks>Counted only while <see cref="MeasuresUtilization"/> is on.</remarks>
    public (long BusyTicks, long CapacityTicks) Utilization => (Volatile.Read(ref _busyTicks), Volatile.Read(ref _capacityTicks));

    /// <summary>
    /// Whether operations count <see cref="Utilization"/> (off by default): the clock is read around every task, and
    /// a tiny model's decode step runs a few hundred tasks, so those reads were 10% of a stories260K generation
    /// profile. Turn it on for runs that diagnose, not for runs that are timed.
    /// </summary>
    public bool MeasuresUtilization
    {
        get => _measures;
        set => _measures = value;
    }

    /// <summary>
    /// A pool of one thread (no workers, its own scratch) for thread <paramref name="threadIndex"/> of this pool, so a
    /// task can run a whole kernel on its own thread (<see cref="GroupedMatMul"/>'s work items). Create every index's
    /// pool on the calling thread before the operation that uses them (<see cref="PrepareSingleThreaded"/>).
    /// </summary>
    public KernelThreadPool SingleThreaded(int threadIndex) =>
        _singleThreaded?[threadIndex] ?? throw new InvalidOperationException("PrepareSingleThreaded was not called");

    /// <summary>Creates the per-thread single-threaded pools once (called outside any operation).</summary>
    public void PrepareSingleThreaded()
    {
        if (_singleThreaded != null)
            return;
        // Each its own pool, even for a one-thread pool: the operation running the kernels holds this pool's scratch.
        var pools = new KernelThreadPool?[ThreadCount];
        for (int i = 0; i < pools.Length; i++)
            pools[i] = new KernelThreadPool(1);
        _singleThreaded = pools;
    }

    /// <summary>
    /// Runs <c>work(state, taskIndex, threadIndex)</c> for every task index in 0..taskCount-1, spread over the pool;
    /// <c>threadIndex</c> is in 0..ThreadCount-1 (0 = the caller) and lets tasks use per-thread scratch.
    /// Returns when every task has finished. The caller works too and waits only for tasks in progress, never for a
    /// worker that has not woken up yet (on a busy machine the caller may run most tasks itself).
    /// An exception thrown by a task is rethrown here after all tasks have finished.
    /// </summary>
    public void Run(int taskCount, delegate*<void*, int, int, void> work, void* state)
    {
        if (taskCount < 0 || taskCount > MaxTasks)
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, $"task count must be 0..{MaxTasks}");
        if (work == null)
            throw new ArgumentNullException(nameof(work));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (taskCount == 0)
            return;
        if (taskCount == 1 || _workers.Length == 0)
        {
            bool measures = _measures;
            long started = measures ? Stopwatch.GetTimestamp() : 0;
            for (int t = 0; t < taskCount; t++)
                work(state, t, 0);
            if (measures)
            {
                long elapsed = Stopwatch.GetTimestamp() - started;
                Interlocked.Add(ref _busyTicks, elapsed);
                Interlocked.Add(ref _capacityTicks, elapsed * ThreadCount);
            }
            return;
        }

        lock (_runGate)
        {
            bool measures = _measures;
            long started = measures ? Stopwatch.GetTimestamp() : 0;
            // Close the last operation before touching the job fields: a worker still in RunTasks for it could
            // otherwise read its old claim word with the new task count and claim a task of neither operation.
            Interlocked.Exchange(ref _dispatch, _dispatch | TaskMask);
            _work = work;
            _state = state;
            _taskCount = taskCount;
            _completed = 0;
            _failure = null;
            long generation = (_dispatch >> TaskBits) + 1;
            Interlocked.Exchange(ref _dispatch, generation << TaskBits);   // full fence: job fields are visible first
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (_sleepGate)
                    Monitor.PulseAll(_sleepGate);
            }

            RunTasks(generation, 0);
            var spinner = new SpinWait();
            while (Volatile.Read(ref _completed) != taskCount)
                spinner.SpinOnce(sleep1Threshold: -1);
            _work = null;
            _state = null;
            if (measures)
                Interlocked.Add(ref _capacityTicks, (Stopwatch.GetTimestamp() - started) * ThreadCount);
            _failure?.Throw();
        }
    }

    /// <summary>Claims and runs tasks of <paramref name="generation"/> until none are left.</summary>
    private void RunTasks(long generation, int threadIndex)
    {
        while (true)
        {
            long dispatch = Volatile.Read(ref _dispatch);
            int task = (int)(dispatch & TaskMask);
            if (dispatch >> TaskBits != generation || task >= _taskCount)
                return;
            if (Interlocked.CompareExchange(ref _dispatch, dispatch + 1, dispatch) != dispatch)
                continue;
            // The claim succeeded, so this operation cannot finish before the task does: its fields are current.
            bool measures = _measures;
            long started = measures ? Stopwatch.GetTimestamp() : 0;
            try
            {
                _work(_state, task, threadIndex);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
            if (measures)
                Interlocked.Add(ref _busyTicks, Stopwatch.GetTimestamp() - started);
            Interlocked.Increment(ref _completed);
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
            RunTasks(generation, threadIndex);
        }
    }

    private long CurrentGeneration => Volatile.Read(ref _dispatch) >> TaskBits;

    private long WaitForWork(long seen)
    {
        for (int i = 0; i < SpinIterationsBeforeSleep; i++)
        {
            long generation = CurrentGeneration;
            if (generation != seen || _disposed)
                return generation;
            Thread.SpinWait(8);
        }
        lock (_sleepGate)
        {
            Interlocked.Increment(ref _sleepers);   // full fence, pairs with the dispatch exchange in Run
            try
            {
                while (CurrentGeneration == seen && !_disposed)
                    Monitor.Wait(_sleepGate);
            }
            finally
            {
                Interlocked.Decrement(ref _sleepers);
            }
            return CurrentGeneration;
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
        foreach (var single in _singleThreaded ?? [])
            single?.Dispose();
        Scratch.Dispose();
    }
}
