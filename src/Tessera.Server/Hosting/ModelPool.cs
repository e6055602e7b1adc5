using Tessera.Server.Api;
using Tessera.Server.Metrics;

namespace Tessera.Server.Hosting;

/// <summary>
/// The models a server can answer with, loaded on first use and unloaded least recently used first (Ollama's
/// behaviour): before a model loads, idle models are unloaded until the loaded ones and the newcomer fit in the memory
/// budget and the model count. A model in use (leased by a request) is never unloaded; when only such models stand in
/// the way, the request waits for one to finish. A model that is alone over the budget still loads: the budget decides
/// what to unload, not what may run.
/// </summary>
public sealed class ModelPool : IDisposable
{
    private readonly ServerOptions _options;
    private readonly Configuration.LiveSettings _live;
    private readonly ServerMetrics _metrics;
    private readonly Action<string> _warn;
    private readonly List<Entry> _entries;
    private readonly object _gate = new();
    private TaskCompletionSource _changed = NewSignal();
    private long _clock;
    private long _loads;
    private long _unloads;
    private bool _disposed;

    /// <param name="live">the settings a config reload changes, read when a model loads (default: <paramref name="options"/>'s, fixed)</param>
    public ModelPool(ServerOptions options, ServerMetrics metrics, Action<string> warn, Configuration.LiveSettings? live = null)
    {
        _options = options;
        _live = live ?? new Configuration.LiveSettings(options);
        _metrics = metrics;
        _warn = warn;
        _entries = options.ServedModels.Select(source => new Entry(source)).ToList();
    }

    /// <summary>The model requests without "model" get (the first one configured).</summary>
    public ModelSource Default => _entries[0].Source;

    public long MemoryBudget => _options.EffectiveMemoryBudget;

    public long Loads => Interlocked.Read(ref _loads);

    public long Unloads => Interlocked.Read(ref _unloads);

    /// <summary>Every configured model with its state, in configuration order.</summary>
    public IReadOnlyList<ModelStatus> Statuses()
    {
        lock (_gate)
            return _entries.Select(entry => new ModelStatus(entry.Source, entry.State, entry.Model, entry.Leases)).ToArray();
    }

    /// <summary>The loaded models, in configuration order.</summary>
    public IReadOnlyList<ServedModel> LoadedModels()
    {
        lock (_gate)
            return _entries.Where(entry => entry.Model is not null).Select(entry => entry.Model!).ToArray();
    }

    public ModelSource? Find(string id) => _entries.FirstOrDefault(entry => entry.Source.Id == id)?.Source;

    /// <summary>Starts loading the default model without waiting (the server listens meanwhile).</summary>
    public Task<ServedModel> LoadDefault()
    {
        lock (_gate)
        {
            var entry = _entries[0];
            return entry.Model is { } loaded ? Task.FromResult(loaded) : entry.Loading ?? StartLoad(entry, []);
        }
    }

    /// <summary>
    /// The model named <paramref name="id"/> (the default when null or empty), loading it first if need be; the
    /// model stays loaded until the lease is disposed. 404 for an unknown id, 503 when it cannot be loaded.
    /// </summary>
    public async Task<ModelLease> AcquireAsync(string? id, CancellationToken cancellation)
    {
        var entry = string.IsNullOrEmpty(id) ? _entries[0] : _entries.FirstOrDefault(e => e.Source.Id == id) ?? throw ApiException.ModelNotFound();
        while (true)
        {
            Task wait;
            var victims = new List<ServedModel>();
            lock (_gate)
            {
                if (_disposed)
                    throw ApiException.Unavailable("The server is stopping.");
                if (entry.Model is { } loaded)
                {
                    entry.Leases++;
                    entry.LastUsed = ++_clock;
                    return new ModelLease(this, entry, loaded);
                }
                if (entry.Failed)
                    throw ApiException.Unavailable($"The model '{entry.Source.Id}' could not be loaded; see the server log.");
                wait = entry.Loading ?? (MakeRoom(entry, victims) ? StartLoad(entry, victims) : _changed.Task);
            }
            try
            {
                await wait.WaitAsync(cancellation);
            }
            catch (Exception) when (!cancellation.IsCancellationRequested)
            {
                // A failed load is remembered on the entry; the next pass answers with it.
            }
        }
    }

    /// <summary>
    /// Picks idle models to unload (least recently used first) so that <paramref name="entry"/> fits; false when
    /// models in use or still loading stand in the way (the caller waits and tries again). Runs under the lock.
    /// </summary>
    private bool MakeRoom(Entry entry, List<ServedModel> victims)
    {
        long need = entry.Source.FileBytes();
        var resident = _entries.Where(other => other != entry && other.Occupies).ToList();
        long occupied = resident.Sum(other => other.Bytes);
        int count = resident.Count;
        var idle = new Queue<Entry>(resident.Where(other => other.Model is not null && other.Leases == 0).OrderBy(other => other.LastUsed));
        var chosen = new List<Entry>();
        while (count > 0 && (occupied + need > MemoryBudget || count + 1 > _options.MaxLoadedModels))
        {
            if (!idle.TryDequeue(out var victim))
                return false;
            chosen.Add(victim);
            occupied -= victim.Bytes;
            count--;
        }
        foreach (var victim in chosen)
        {
            victims.Add(victim.Model!);
            victim.Model = null;
        }
        return true;
    }

    /// <summary>Starts the load of <paramref name="entry"/> once <paramref name="victims"/> are gone. Runs under the lock.</summary>
    private Task<ServedModel> StartLoad(Entry entry, List<ServedModel> victims)
    {
        var unloadFirst = victims.ToArray();
        victims.Clear();
        var task = Task.Run(() =>
        {
            // Free the memory before taking more.
            Unload(unloadFirst);
            try
            {
                var model = ServedModel.Load(_live.Current.ApplyTo(_options), entry.Source, _metrics, _warn);
                bool keep;
                lock (_gate)
                {
                    keep = !_disposed;
                    entry.Loading = null;
                    if (keep)
                        entry.Model = model;
                    else
                        entry.Failed = true;
                    entry.LastUsed = ++_clock;
                    Signal();
                }
                if (!keep)
                    model.Dispose();
                Interlocked.Increment(ref _loads);
                return model;
            }
            catch (Exception e)
            {
                _warn($"cannot load the model '{entry.Source.Id}' ({entry.Source.Path}): {e.Message}");
                lock (_gate)
                {
                    entry.Loading = null;
                    entry.Failed = true;
                    Signal();
                }
                throw;
            }
        });
        entry.Loading = task;
        return task;
    }

    private void Unload(IEnumerable<ServedModel> models)
    {
        foreach (var model in models)
        {
            _warn($"unloading the model '{model.Id}' to make room");
            model.Dispose();
            Interlocked.Increment(ref _unloads);
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            entry.LastUsed = ++_clock;
            Signal();
        }
    }

    /// <summary>Wakes requests waiting for room. Runs under the lock.</summary>
    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Frees every loaded model; a load in progress frees its model when it ends.</summary>
    public void Dispose()
    {
        List<ServedModel> loaded;
        lock (_gate)
        {
            _disposed = true;
            loaded = _entries.Where(entry => entry.Model is not null).Select(entry => entry.Model!).ToList();
            foreach (var entry in _entries)
                entry.Model = null;
            Signal();
        }
        foreach (var model in loaded)
            model.Dispose();
    }

    /// <summary>A model held for one request; disposing it lets the pool unload the model again.</summary>
    public sealed class ModelLease : IDisposable
    {
        private readonly ModelPool _pool;
        private readonly Entry _entry;
        private int _released;

        internal ModelLease(ModelPool pool, Entry entry, ServedModel model)
        {
            _pool = pool;
            _entry = entry;
            Model = model;
        }

        public ServedModel Model { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                _pool.Release(_entry);
        }
    }

    internal sealed class Entry(ModelSource source)
    {
        public ModelSource Source { get; } = source;
        public ServedModel? Model { get; set; }
        public Task<ServedModel>? Loading { get; set; }
        public bool Failed { get; set; }
        public int Leases { get; set; }
        public long LastUsed { get; set; }

        /// <summary>Loaded, or loading (and soon holding memory).</summary>
        public bool Occupies => Model is not null || Loading is not null;

        /// <summary>What it holds (or will hold, judged by its files while loading).</summary>
        public long Bytes => Model?.MemoryBytes ?? Source.FileBytes();

        public string State => Model is not null ? "loaded" : Loading is not null ? "loading" : Failed ? "failed" : "available";
    }
}

/// <summary>One configured model: "loaded", "loading", "available" (not loaded) or "failed"; requests holding it now.</summary>
public sealed record ModelStatus(ModelSource Source, string State, ServedModel? Model, int Leases);
