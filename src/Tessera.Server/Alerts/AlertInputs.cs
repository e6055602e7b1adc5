using Tessera.Server.Hosting;
using Tessera.Server.Metrics;

namespace Tessera.Server.Alerts;

/// <summary>
/// Takes the <see cref="AlertSample"/>s of a running server: memory, the loaded models' KV gauges, and the windows the
/// request pipeline and the schedulers fill (drained here, so each sample covers the interval since the one before).
/// Device utilisation: the share of the interval spent in forward steps while a loaded model runs (partly) on an
/// accelerator; no device reports its own busy time yet, so this is the bound the accelerators cannot exceed.
/// </summary>
public sealed class AlertInputs(ServerState state, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private double _forwardSeconds = state.Metrics.ForwardSeconds;
    private long _lastTimestamp = (time ?? TimeProvider.System).GetTimestamp();

    public AlertSample Sample()
    {
        var loaded = state.Models.LoadedModels().Where(model => model.CanGenerate).ToArray();
        var gauges = SchedulerGauges.Sum(loaded.Select(model => model.Scheduler.Gauges));
        var (responses, errors, latency) = state.Metrics.RecentRequests.Drain();

        long now = _time.GetTimestamp();
        double wall = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        double forward = state.Metrics.ForwardSeconds;
        double busy = forward - _forwardSeconds;
        _lastTimestamp = now;
        _forwardSeconds = forward;
        bool accelerated = loaded.Any(model => model.Plan is { AcceleratedLayers: > 0 });

        return new AlertSample
        {
            Time = _time.GetUtcNow(),
            MemoryBytes = ProcessMemory.ResidentBytes(),
            ModelChanges = state.Models.Loads + state.Models.Unloads,
            KvFragmentation = gauges?.KvFragmentation ?? 0,
            LatencyP95Seconds = latency,
            Responses = responses,
            ServerErrors = errors,
            DeviceUtilisation = accelerated && wall > 0 ? Math.Min(1, busy / wall) : null,
            QueueTimeP95Seconds = DurationWindow.Percentile(state.Metrics.QueueWaits.Drain(), 0.95),
        };
    }
}
