using Tessera.Server.Api;
using Tessera.Server.Metrics;

namespace Tessera.Server.Hosting;

/// <summary>What the endpoints share: the options, the metrics and the model once it has loaded.</summary>
public sealed class ServerState(ServerOptions options) : IDisposable
{
    private volatile ServedModel? _model;
    private volatile bool _loadFailed;
    private volatile bool _disposed;

    public ServerOptions Options { get; } = options;
    public ServerMetrics Metrics { get; } = new();

    /// <summary>Completes when the model is ready; faults when it cannot be loaded.</summary>
    public Task<ServedModel> Loaded { get; private set; } = new TaskCompletionSource<ServedModel>().Task;

    public ServedModel? Model => _model;

    /// <summary>Loads the model on a worker thread; the server answers (health 503) meanwhile.</summary>
    public void StartLoading(Action<string> warn)
    {
        Loaded = Task.Run(() =>
        {
            try
            {
                var model = ServedModel.Load(Options, Metrics, warn);
                _model = model;
                if (_disposed)
                    Dispose();
                return model;
            }
            catch
            {
                _loadFailed = true;
                throw;
            }
        });
    }

    /// <summary>The model, or a 503 while it is loading (or could not be loaded).</summary>
    public ServedModel RequireModel() => _model ?? throw (_loadFailed
        ? new ApiException(503, "The model could not be loaded; see the server log.", null, "model_unavailable", "server_error")
        : ApiException.Loading());

    /// <summary>Frees the model (now, or as soon as a load in progress ends); safe to call more than once.</summary>
    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _model, null)?.Dispose();
    }
}
