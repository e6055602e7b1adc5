using Tessera.Runtime.Placement;
using Tessera.Server.Hosting;
using static Tessera.Server.Configuration.ConfigValues;

namespace Tessera.Server.Configuration;

/// <summary>
/// Every key of `tessera.yaml`, by section: the one table the parser, the validation messages, the reload and the
/// docs follow. Ranges here are per value; <see cref="ServerOptions.Validate"/> checks how values fit together.
/// </summary>
public static class ConfigKeys
{
    /// <summary>The format version this build reads (`version: 1`, optional); a later format is refused, not guessed at.</summary>
    public const int FormatVersion = 1;

    /// <summary>A request timeout or alert period longer than a day is a typo, not a setting.</summary>
    private const double MaxSeconds = 86_400;

    public static readonly ConfigKey<string> ModelPath = Key("model.path", nameof(ServerOptions.ModelPath), Text(),
        o => o.ModelPath, (o, v) => o with { ModelPath = v });
    public static readonly ConfigKey<string> ModelId = Key("model.id", nameof(ServerOptions.ModelId), Text(),
        o => o.ModelId ?? "", (o, v) => o with { ModelId = v });
    public static readonly ConfigKey<string[]> Models = Key("model.models", nameof(ServerOptions.AdditionalModels), TextList(),
        o => o.AdditionalModels.Select(m => m.Path).ToArray(),
        (o, v) => o with { AdditionalModels = v.Select(path => new ModelSource(System.IO.Path.GetFileNameWithoutExtension(path), path)).ToArray() });
    public static readonly ConfigKey<string> ModelsDir = Key("model.models_dir", null, Text(), null, null);
    public static readonly ConfigKey<int> MaxModels = Key("model.max_models", nameof(ServerOptions.MaxLoadedModels), Integer(min: 1),
        o => o.MaxLoadedModels, (o, v) => o with { MaxLoadedModels = v });
    public static readonly ConfigKey<Gguf.GgufLoadMode> LoadMode = Key("model.load_mode", nameof(ServerOptions.LoadMode), Word(OptionWords.LoadModes),
        o => o.LoadMode, (o, v) => o with { LoadMode = v });

    public static readonly ConfigKey<string> Host = Key("server.host", nameof(ServerOptions.Host), Text(),
        o => o.Host, (o, v) => o with { Host = v });
    public static readonly ConfigKey<int> Port = Key("server.port", nameof(ServerOptions.Port), Integer(min: 0, max: 65535),
        o => o.Port, (o, v) => o with { Port = v });
    public static readonly ConfigKey<string> ApiKey = Key("server.api_key", nameof(ServerOptions.ApiKey), Text(),
        o => o.ApiKey ?? "", (o, v) => o with { ApiKey = v });
    public static readonly ConfigKey<string[]> CorsOrigins = Key("server.cors_origins", nameof(ServerOptions.CorsOrigins), TextList(),
        o => o.CorsOrigins.ToArray(), (o, v) => o with { CorsOrigins = v });
    public static readonly ConfigKey<TimeSpan> RequestTimeout = Key("server.request_timeout_seconds", nameof(ServerOptions.RequestTimeout), Seconds(MaxSeconds),
        o => o.RequestTimeout, (o, v) => o with { RequestTimeout = v }, live: true);

    public static readonly ConfigKey<long> MemoryBudget = Key("memory.budget", nameof(ServerOptions.MemoryBudgetBytes), Bytes(),
        o => o.MemoryBudgetBytes, (o, v) => o with { MemoryBudgetBytes = v });
    public static readonly ConfigKey<long> ExpertMemoryLimit = Key("memory.expert_memory_limit", nameof(ServerOptions.ExpertTier), Bytes(),
        o => o.ExpertTier?.MemoryLimit ?? 0, (o, v) => o with { ExpertTier = (o.ExpertTier ?? new()) with { MemoryLimit = v == 0 ? null : v } });
    public static readonly ConfigKey<int> KvPageSize = Key("memory.kv_page_size", nameof(ServerOptions.KvPageSize), Integer(min: 1),
        o => o.KvPageSize, (o, v) => o with { KvPageSize = v });
    public static readonly ConfigKey<int> KvCacheTokens = Key("memory.kv_cache_tokens", nameof(ServerOptions.KvCacheTokens), Integer(),
        o => o.KvCacheTokens, (o, v) => o with { KvCacheTokens = v });
    public static readonly ConfigKey<Tensors.GgmlType> KvCacheType = Key("memory.kv_cache_type", nameof(ServerOptions.KvCacheType), Word(OptionWords.KvCacheTypes),
        o => o.KvCacheType, (o, v) => o with { KvCacheType = v });
    public static readonly ConfigKey<int> ContextSize = Key("memory.context_size", nameof(ServerOptions.ContextSize), Integer(),
        o => o.ContextSize, (o, v) => o with { ContextSize = v });
    public static readonly ConfigKey<int> BatchSize = Key("memory.batch_size", nameof(ServerOptions.BatchSize), Integer(min: 1),
        o => o.BatchSize, (o, v) => o with { BatchSize = v });

    public static readonly ConfigKey<int> Parallel = Key("scheduling.parallel", nameof(ServerOptions.Parallel), Integer(min: 1, max: ServerOptions.MaxParallel),
        o => o.Parallel, (o, v) => o with { Parallel = v });
    public static readonly ConfigKey<int> MaxQueue = Key("scheduling.max_queue", nameof(ServerOptions.MaxQueue), Integer(),
        o => o.MaxQueue, (o, v) => o with { MaxQueue = v }, live: true);
    public static readonly ConfigKey<int> StepTokenBudget = Key("scheduling.step_token_budget", nameof(ServerOptions.StepTokenBudget), Integer(),
        o => o.StepTokenBudget, (o, v) => o with { StepTokenBudget = v }, live: true);
    public static readonly ConfigKey<int> Threads = Key("scheduling.threads", nameof(ServerOptions.Threads), Integer(),
        o => o.Threads, (o, v) => o with { Threads = v });
    public static readonly ConfigKey<Models.Experts.MoeSchedule> MoeSchedule = Key("scheduling.moe_schedule", nameof(ServerOptions.MoeSchedule), Word(OptionWords.MoeSchedules),
        o => o.MoeSchedule, (o, v) => o with { MoeSchedule = v });
    public static readonly ConfigKey<int> HotExperts = Key("scheduling.hot_experts", nameof(ServerOptions.ExpertTier), CountOrAuto(),
        o => o.ExpertTier?.HotExperts ?? -1, (o, v) => o with { ExpertTier = (o.ExpertTier ?? new()) with { HotExperts = v < 0 ? null : v } });

    public static readonly ConfigKey<bool> PrefixCache = Key("cache.prefix_cache", nameof(ServerOptions.PrefixCache), Flag(),
        o => o.PrefixCache, (o, v) => o with { PrefixCache = v });

    public static readonly ConfigKey<string> Device = Key("devices.device", nameof(ServerOptions.Placement), Text(),
        o => o.Placement?.Device ?? PlacementOptions.Auto, (o, v) => o with { Placement = (o.Placement ?? new()) with { Device = v } });
    public static readonly ConfigKey<string> GpuLayers = Key("devices.gpu_layers", nameof(ServerOptions.Placement),
        Text().Then(layers => { PlacementOptions.ParseGpuLayers(layers); return layers; }),
        o => o.Placement?.GpuLayers?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? PlacementOptions.Auto,
        (o, v) => o with { Placement = (o.Placement ?? new()) with { GpuLayers = PlacementOptions.ParseGpuLayers(v) } });
    public static readonly ConfigKey<string[]> OverrideTensor = Key("devices.override_tensor", nameof(ServerOptions.Placement),
        TextList().Then(rules => { foreach (string rule in rules) TensorOverride.Parse(rule); return rules; }),
        o => (o.Placement?.Overrides ?? []).Select(rule => rule.ToString()).ToArray(),
        (o, v) => o with { Placement = (o.Placement ?? new()) with { Overrides = v.SelectMany(TensorOverride.Parse).ToArray() } });
    public static readonly ConfigKey<string> MoeDevice = Key("devices.moe_device", nameof(ServerOptions.ExpertDevice),
        Text().Then(text => { MoeDeviceValue.Parse(text); return text; }),
        o => o.ExpertDevice is { } d ? MoeDeviceValue.Format(d) : "", (o, v) => o with { ExpertDevice = MoeDeviceValue.Parse(v) });

    public static readonly ConfigKey<double> AlertInterval = Alert("alerts.interval_seconds", Number(0, 3600), a => a.IntervalSeconds, (a, v) => a with { IntervalSeconds = v });
    public static readonly ConfigKey<double> AlertMemoryGrowth = Alert("alerts.memory_growth", Number(0, 100), a => a.MemoryGrowth, (a, v) => a with { MemoryGrowth = v });
    public static readonly ConfigKey<int> AlertMemoryGrowthSamples = Alert("alerts.memory_growth_samples", Integer(min: 1, max: 100),
        a => a.MemoryGrowthSamples, (a, v) => a with { MemoryGrowthSamples = v });
    public static readonly ConfigKey<double> AlertKvFragmentation = Alert("alerts.kv_fragmentation", Number(0, 1), a => a.KvFragmentation, (a, v) => a with { KvFragmentation = v });
    public static readonly ConfigKey<double> AlertP95Latency = Alert("alerts.p95_latency_seconds", Number(0, MaxSeconds), a => a.P95LatencySeconds, (a, v) => a with { P95LatencySeconds = v });
    public static readonly ConfigKey<double> AlertErrorRate = Alert("alerts.error_rate", Number(0, 1), a => a.ErrorRate, (a, v) => a with { ErrorRate = v });
    public static readonly ConfigKey<double> AlertDeviceUtilisation = Alert("alerts.device_utilisation", Number(0, 1), a => a.DeviceUtilisation, (a, v) => a with { DeviceUtilisation = v });
    public static readonly ConfigKey<double> AlertQueueTime = Alert("alerts.queue_time_seconds", Number(0, MaxSeconds), a => a.QueueTimeSeconds, (a, v) => a with { QueueTimeSeconds = v });

    public static readonly ConfigKey<bool> DegradationEnabled = Degrade("degradation.enabled", Flag(), d => d.Enabled, (d, v) => d with { Enabled = v });
    public static readonly ConfigKey<double> DegradationQueue = Degrade("degradation.queue_seconds_high", Number(0, MaxSeconds),
        d => d.QueueSecondsHigh, (d, v) => d with { QueueSecondsHigh = v });
    public static readonly ConfigKey<double> DegradationP95 = Degrade("degradation.p95_seconds_high", Number(0, MaxSeconds),
        d => d.P95SecondsHigh, (d, v) => d with { P95SecondsHigh = v });
    public static readonly ConfigKey<double> DegradationRecover = Degrade("degradation.recover_fraction", Number(0, 1),
        d => d.RecoverFraction, (d, v) => d with { RecoverFraction = v });
    public static readonly ConfigKey<int> DegradationSamplesUp = Degrade("degradation.samples_up", Integer(min: 1, max: 100),
        d => d.SamplesUp, (d, v) => d with { SamplesUp = v });
    public static readonly ConfigKey<int> DegradationSamplesDown = Degrade("degradation.samples_down", Integer(min: 1, max: 100),
        d => d.SamplesDown, (d, v) => d with { SamplesDown = v });
    public static readonly ConfigKey<double> DegradationInterval = Degrade("degradation.interval_seconds", Number(0, 3600),
        d => d.Interval.TotalSeconds, (d, v) => d with { Interval = TimeSpan.FromSeconds(v) });
    public static readonly ConfigKey<int> DegradationStepBudget = Degrade("degradation.shrunk_step_budget", Integer(min: 1),
        d => d.ShrunkStepBudget, (d, v) => d with { ShrunkStepBudget = v });
    public static readonly ConfigKey<int> DegradationMaxTokens = Degrade("degradation.max_tokens_cap", Integer(min: 1),
        d => d.MaxTokensCap, (d, v) => d with { MaxTokensCap = v });
    public static readonly ConfigKey<bool> DegradationKvPrecision = Degrade("degradation.kv_q8_0", Flag(),
        d => d.KvPrecisionRung, (d, v) => d with { KvPrecisionRung = v });
    public static readonly ConfigKey<string> DegradationFallback = Degrade("degradation.fallback_model", Text(),
        d => d.FallbackModel ?? "", (d, v) => d with { FallbackModel = v.Length == 0 ? null : v });
    public static readonly ConfigKey<int> DegradationRetryAfter = Degrade("degradation.retry_after_seconds", Integer(min: 1, max: 3600),
        d => d.RetryAfterSeconds, (d, v) => d with { RetryAfterSeconds = v });

    /// <summary>Every key, in the order the docs list them.</summary>
    public static IReadOnlyList<ConfigKey> All { get; } =
    [
        ModelPath, ModelId, Models, ModelsDir, MaxModels, LoadMode,
        Host, Port, ApiKey, CorsOrigins, RequestTimeout,
        MemoryBudget, ExpertMemoryLimit, KvPageSize, KvCacheTokens, KvCacheType, ContextSize, BatchSize,
        Parallel, MaxQueue, StepTokenBudget, Threads, MoeSchedule, HotExperts,
        PrefixCache,
        Device, GpuLayers, OverrideTensor, MoeDevice,
        AlertInterval, AlertMemoryGrowth, AlertMemoryGrowthSamples, AlertKvFragmentation, AlertP95Latency, AlertErrorRate,
        AlertDeviceUtilisation, AlertQueueTime,
        DegradationEnabled, DegradationQueue, DegradationP95, DegradationRecover, DegradationSamplesUp, DegradationSamplesDown,
        DegradationInterval, DegradationStepBudget, DegradationMaxTokens, DegradationKvPrecision, DegradationFallback, DegradationRetryAfter,
    ];

    public static IReadOnlyList<string> Sections { get; } = All.Select(key => key.Section).Distinct().ToArray();

    public static ConfigKey? Find(string path) => All.FirstOrDefault(key => key.Path == path);

    private static ConfigKey<T> Key<T>(string path, string? property, ReadValue<T> read, Func<ServerOptions, T>? get,
        Func<ServerOptions, T, ServerOptions>? set, bool live = false) where T : notnull =>
        new(path, property, read, get, set, live);

    /// <summary>A setting of the load-shedding ladder (fixed while the server runs).</summary>
    private static ConfigKey<T> Degrade<T>(string path, ReadValue<T> read, Func<Degradation.DegradationPolicy, T> get,
        Func<Degradation.DegradationPolicy, T, Degradation.DegradationPolicy> set) where T : notnull =>
        new(path, nameof(ServerOptions.Degradation), read, o => get(o.Degradation), (o, v) => o with { Degradation = set(o.Degradation, v) }, live: false);

    /// <summary>An alert threshold: every one may change live.</summary>
    private static ConfigKey<T> Alert<T>(string path, ReadValue<T> read, Func<Alerts.AlertThresholds, T> get,
        Func<Alerts.AlertThresholds, T, Alerts.AlertThresholds> set) where T : notnull =>
        new(path, nameof(ServerOptions.Alerts), read, o => get(o.Alerts), (o, v) => o with { Alerts = set(o.Alerts, v) }, live: true);
}
