namespace Tessera.Models.Experts;

/// <summary>
/// One background thread working through queued items in batches (the expert tiers' uploads, evictions and page
/// advice), so the forward pass only enqueues and never waits for the work. A batch is everything queued since the
/// last one; items queued again while a batch runs wait for the next.
/// </summary>
public sealed class BackgroundQueue<T> : IDisposable
{
    private readonly Queue<T> _items = new();
    private readonly Func<T[], bool> _work;
    private readonly Thread _thread;
    private readonly AutoResetEvent _wake = new(false);
    private volatile bool _stopping;

    /// <param name="work">runs each batch on the background thread; returns false to stop for good (it gave up, e.g.
    /// its device failed)</param>
    public BackgroundQueue(string name, Func<T[], bool> work)
    {
        _work = work;
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Whether <see cref="Dispose"/> has begun: long batches check it between items.</summary>
    public bool Stopping => _stopping;

    /// <summary>Queues an item and wakes the thread.</summary>
    public void Enqueue(T item)
    {
        lock (_items)
            _items.Enqueue(item);
        _wake.Set();
    }

    private void Loop()
    {
        while (!_stopping)
        {
            T[] batch;
            lock (_items)
            {
                batch = [.. _items];
                _items.Clear();
            }
            if (batch.Length == 0)
            {
                _wake.WaitOne();
                continue;
            }
            if (!_work(batch))
                return;
        }
    }

    public void Dispose()
    {
        if (_stopping)
            return;
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }
}
