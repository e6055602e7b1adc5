using Tessera.Server.Api;
using Tessera.Server.Hosting;

namespace Tessera.Server.Degradation;

/// <summary>
/// Samples the load on a timer, moves the <see cref="DegradationLadder"/> and applies its rung: the Shrink rung caps
/// every loaded model's step token budget and new requests' max_tokens, KvPrecision keeps new requests' keys and
/// values in Q8_0, SmallerModel routes new generation requests to the fallback model, Reject answers them 503 with
/// Retry-After. Requests already running are never cut short.
/// </summary>
public sealed class LoadShedder : IDisposable
{
    /// <summary>Window of request durations the p95 is taken over.</summary>
    private static readonly TimeSpan LatencyWindow = TimeSpan.FromSeconds(30);

    private readonly DegradationPolicy _policy;
    private readonly ServerState _state;
    private readonly DegradationLadder _ladder;
    private readonly Action<string> _warn;
    private readonly object _gate = new();
    private Timer? _timer;
    private volatile DegradationLevel _level;

    public LoadShedder(DegradationPolicy policy, ServerState state, Action<string> warn)
    {
        policy.Validate();
        _policy = policy;
        _state = state;
        _warn = warn;
        _ladder = new DegradationLadder(policy);
    }

    public DegradationPolicy Policy => _policy;

    public DegradationLevel Level => _level;

    /// <summary>Rung changes so far.</summary>
    public long Transitions { get; private set; }

    /// <summary>The last sample taken.</summary>
    public LoadSignal LastSignal => _ladder.Last;

    /// <summary>Samples every <see cref="DegradationPolicy.Interval"/> when the policy is enabled.</summary>
    public void Start()
    {
        if (_policy.Enabled)
            _timer = new Timer(_ => Evaluate(), null, _policy.Interval, _policy.Interval);
    }

    /// <summary>One sample of the server's load.</summary>
    public void Evaluate() => Evaluate(CurrentSignal());

    /// <summary>One sample (scripted in tests); applies the rung it leads to.</summary>
    public void Evaluate(LoadSignal signal)
    {
        lock (_gate)
        {
            var before = _ladder.Level;
            if (_ladder.Observe(signal))
            {
                Transitions++;
                _warn($"load shedding: {before} -> {_ladder.Level} (oldest queued {signal.QueueSeconds:0.00} s, p95 {signal.P95Seconds:0.00} s)");
            }
            _level = _ladder.Level;
            Apply();
        }
    }

    /// <summary>The cap on a new request's max_tokens on this rung; null when none.</summary>
    public int? MaxTokensCap => _level >= DegradationLevel.Shrink ? _policy.MaxTokensCap : null;

    /// <summary>The KV cell type of a new generation request on this rung (Q8_0 from KvPrecision up); null: the cache's own.</summary>
    public Tensors.GgmlType? KvType => _level >= DegradationLevel.KvPrecision && _policy.KvPrecisionRung ? Tensors.GgmlType.Q8_0 : null;

    /// <summary>The model a new generation request runs on: the fallback model on the SmallerModel rung and above.</summary>
    public string? Route(string? requested) =>
        _level >= DegradationLevel.SmallerModel && _policy.FallbackModel is { } fallback ? fallback : requested;

    /// <summary>A 503 with Retry-After on the Reject rung.</summary>
    public void ThrowIfRejecting()
    {
        if (_level == DegradationLevel.Reject)
        {
            throw new ApiException(503, "The server is shedding load; retry later.", null, "server_overloaded", "server_error")
            {
                RetryAfterSeconds = _policy.RetryAfterSeconds,
            };
        }
    }

    private LoadSignal CurrentSignal()
    {
        double queued = 0;
        foreach (var model in _state.Models.LoadedModels())
        {
            if (model.CanGenerate)
                queued = Math.Max(queued, model.Scheduler.OldestWaitSeconds);
        }
        return new LoadSignal(queued, _state.Metrics.GenerationRequests.Percentile(0.95, LatencyWindow));
    }

    private void Apply()
    {
        int? cap = _level >= DegradationLevel.Shrink ? _policy.ShrunkStepBudget : null;
        foreach (var model in _state.Models.LoadedModels())
        {
            if (model.CanGenerate)
                model.Scheduler.StepTokenCap = cap;
        }
    }

    /// <summary>The `degradation` section of `/v1/status`: the rung, what it does, and the last sample against the thresholds.</summary>
    public void WriteStatus(System.Text.Json.Utf8JsonWriter writer)
    {
        var signal = _ladder.Last;
        var level = _level;
        writer.WriteStartObject();
        writer.WriteBoolean("enabled", _policy.Enabled);
        writer.WriteNumber("level", (int)level);
        writer.WriteString("rung", level switch
        {
            DegradationLevel.Shrink => "shrink",
            DegradationLevel.KvPrecision => "kv_q8_0",
            DegradationLevel.SmallerModel => "smaller_model",
            DegradationLevel.Reject => "reject",
            _ => "normal",
        });
        writer.WriteNumber("queue_seconds", signal.QueueSeconds);
        writer.WriteNumber("queue_seconds_high", _policy.QueueSecondsHigh);
        writer.WriteNumber("p95_seconds", signal.P95Seconds);
        writer.WriteNumber("p95_seconds_high", _policy.P95SecondsHigh);
        if (MaxTokensCap is { } cap)
            writer.WriteNumber("max_tokens_cap", cap);
        if (level >= DegradationLevel.Shrink)
            writer.WriteNumber("step_token_cap", _policy.ShrunkStepBudget);
        if (KvType is not null)
            writer.WriteString("kv_cache_type", "q8_0");
        if (level >= DegradationLevel.SmallerModel && _policy.FallbackModel is { } fallback)
            writer.WriteString("routed_to", fallback);
        writer.WriteNumber("transitions", Transitions);
        writer.WriteEndObject();
    }

    /// <summary>The ladder's metrics in the Prometheus text format.</summary>
    public string RenderMetrics()
    {
        var signal = _ladder.Last;
        return FormattableString.Invariant($"""
            # HELP tessera_degradation_level Load-shedding rung: 0 normal, 1 shrink, 2 KV in Q8_0, 3 smaller model, 4 reject.
            # TYPE tessera_degradation_level gauge
            tessera_degradation_level {(int)_level}
            # HELP tessera_degradation_transitions_total Rung changes of the load-shedding ladder.
            # TYPE tessera_degradation_transitions_total counter
            tessera_degradation_transitions_total {Transitions}
            # HELP tessera_degradation_queue_seconds Oldest queued request's wait at the last sample.
            # TYPE tessera_degradation_queue_seconds gauge
            tessera_degradation_queue_seconds {signal.QueueSeconds}
            # HELP tessera_degradation_p95_seconds p95 of recent generation request durations at the last sample.
            # TYPE tessera_degradation_p95_seconds gauge
            tessera_degradation_p95_seconds {signal.P95Seconds}

            """);
    }

    public void Dispose() => _timer?.Dispose();
}
