using Tessera.Server.Alerts;
using Tessera.Server.Api;
using Tessera.Server.Configuration;
using Tessera.Server.Metrics;

namespace Tessera.Server.Hosting;

/// <summary>What the endpoints share: the options (and those of them that change live), the metrics, the pool of
/// models, the alert monitor and the status report.</summary>
public sealed class ServerState : IDisposable
{
    private Task<ServedModel> _loaded = new TaskCompletionSource<ServedModel>().Task;

    public ServerState(ServerOptions options, Action<string> warn)
    {
        Options = options;
        Live = new LiveSettings(options);
        Models = new ModelPool(options, Metrics, warn, Live);
        Live.Changed += ApplyLive;
        Shedding = new Degradation.LoadShedder(options.Degradation, this, warn);
        var inputs = new AlertInputs(this);
        Alerts = new AlertMonitor(inputs.Sample, () => Live.Alerts, warn);
        Status.AddSection("alerts", writer => AlertReport.WriteJson(writer, Alerts.States));
        Status.AddSection("degradation", Shedding.WriteStatus);
    }

    /// <summary>The options the server started with; for the live ones (queue, timeout, step budget) read <see cref="Live"/>.</summary>
    public ServerOptions Options { get; }

    /// <summary>The settings a config reload may change while the server runs.</summary>
    public LiveSettings Live { get; }
    public ServerMetrics Metrics { get; } = new();
    public ModelPool Models { get; }

    /// <summary>The load-shedding ladder and what its current rung asks of new requests.</summary>
    public Degradation.LoadShedder Shedding { get; }

    /// <summary>The alert rules' states, evaluated on a timer once <see cref="StartLoading"/> has run.</summary>
    public AlertMonitor Alerts { get; }

    /// <summary>What `GET /v1/status` answers; parts of the server add their sections.</summary>
    public StatusReport Status { get; } = new();

    /// <summary>Completes when the default model is ready; faults when it cannot be loaded.</summary>
    public Task<ServedModel> Loaded => _loaded;

    /// <summary>The first loaded model (the default one when it is loaded), or null: what /metrics describes.</summary>
    public ServedModel? Model => Models.LoadedModels().FirstOrDefault();

    /// <summary>Loads the default model on a worker thread; the server answers (health 503) meanwhile.</summary>
    public void StartLoading()
    {
        _loaded = Models.LoadDefault();
        Shedding.Start();
        Alerts.Start();
    }

    /// <summary>Nothing, or a 503 while the default model is loading (or could not be loaded): the health check.</summary>
    public void RequireReady()
    {
        if (_loaded.IsCompletedSuccessfully)
            return;
        throw _loaded.IsFaulted || _loaded.IsCanceled
            ? ApiException.Unavailable("The model could not be loaded; see the server log.")
            : ApiException.Loading();
    }

    /// <summary>The model a request names (the default when it names none), loaded and held until the lease is disposed.</summary>
    public Task<ModelPool.ModelLease> AcquireAsync(string? id, CancellationToken cancellation) => Models.AcquireAsync(id, cancellation);

    /// <summary>Hands reloaded live values to the loaded models' schedulers (models loaded later read them from
    /// <see cref="Live"/> when they load).</summary>
    private void ApplyLive(LiveValues values)
    {
        foreach (var model in Models.LoadedModels().Where(model => model.CanGenerate))
        {
            model.Scheduler.MaxQueue = values.MaxQueue;
            model.Scheduler.StepTokenBudget = values.StepTokenBudget == 0 ? model.Context.BatchSize : values.StepTokenBudget;
        }
    }

    /// <summary>Frees the models (now, or as soon as a load in progress ends); safe to call more than once.</summary>
    public void Dispose()
    {
        Shedding.Dispose();
        Alerts.Dispose();
        Models.Dispose();
    }
}
