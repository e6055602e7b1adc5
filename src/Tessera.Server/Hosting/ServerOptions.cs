using System.Net;
using Tessera.Gguf;
using Tessera.Runtime;

namespace Tessera.Server.Hosting;

/// <summary>Settings of a <see cref="TesseraServer"/>.</summary>
public sealed record ServerOptions
{
    /// <summary>Loopback only unless asked: a model server holds no authentication by default.</summary>
    public const string DefaultHost = "127.0.0.1";
    public const int DefaultPort = 8080;
    public const int DefaultParallel = 4;
    public const int DefaultMaxQueue = 16;

    /// <summary>Default positions per slot when none are asked for: models trained on 128K positions would otherwise
    /// reserve GBs of cache per slot.</summary>
    public const int DefaultContextCap = 4096;

    /// <summary>Most slots: each holds a full context of KV cache, and the batch carries one decode token per slot.</summary>
    public const int MaxParallel = 64;

    /// <summary>Models loaded at once unless asked otherwise (Ollama's default on a CPU).</summary>
    public const int DefaultMaxLoadedModels = 3;

    /// <summary>Default KV page: 32 positions, small enough that a short answer wastes little, large enough that page
    /// tables stay short.</summary>
    public const int DefaultKvPageSize = 32;

    /// <summary>Path of the GGUF model; it is the default model (requests without "model") and loads at start.</summary>
    public required string ModelPath { get; init; }

    /// <summary>More models (`--model` repeated, `--models-dir`), each loaded on the first request that names it.</summary>
    public IReadOnlyList<ModelSource> AdditionalModels { get; init; } = [];

    /// <summary>Most models held in memory at once; loading one more unloads the least recently used idle one.</summary>
    public int MaxLoadedModels { get; init; } = DefaultMaxLoadedModels;

    /// <summary>Bytes the loaded models (weights and KV cache) may take together before the least recently used idle one
    /// is unloaded; 0 means the memory of the machine (or of its container).</summary>
    public long MemoryBudgetBytes { get; init; }

    /// <summary>The CPU memory tier for MoE experts (`--mem-limit`, `--hot-experts`); null keeps every expert as the
    /// operating system pages it.</summary>
    public Runtime.Experts.ExpertTierOptions? ExpertTier { get; init; }

    /// <summary>An accelerator that keeps copies of the hottest MoE experts (`--moe-device`); null keeps experts with their layer.</summary>
    public Runtime.Experts.ExpertDeviceOptions? ExpertDevice { get; init; }

    /// <summary>How the model file is brought into memory (see <see cref="GgufLoadMode"/>).</summary>
    public GgufLoadMode LoadMode { get; init; } = GgufLoadMode.Map;

    /// <summary>The id clients use in "model"; default the file name without extension.</summary>
    public string? ModelId { get; init; }

    public string Host { get; init; } = DefaultHost;

    /// <summary>0 picks a free port (see <see cref="TesseraServer.BaseAddress"/>).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>Slots generating at once; each is a sequence of the shared KV cache.</summary>
    public int Parallel { get; init; } = DefaultParallel;

    /// <summary>Choices that may wait for a slot; beyond that requests get 503 with Retry-After.</summary>
    public int MaxQueue { get; init; } = DefaultMaxQueue;

    /// <summary>When set, every endpoint but /health needs "Authorization: Bearer KEY".</summary>
    public string? ApiKey { get; init; }

    /// <summary>Positions per slot; 0 means the model's training context capped at <see cref="DefaultContextCap"/>.</summary>
    public int ContextSize { get; init; }

    /// <summary>Most tokens per forward step (decode tokens plus prompt chunks).</summary>
    public int BatchSize { get; init; } = ContextOptions.DefaultBatchSize;

    /// <summary>Most tokens one scheduler step processes (decode tokens first, prompt chunks fill the rest); 0 means
    /// <see cref="BatchSize"/>. Smaller budgets keep streams smooth while long prompts are admitted.</summary>
    public int StepTokenBudget { get; init; }

    /// <summary>Token positions per KV cache page; sequences grow page by page.</summary>
    public int KvPageSize { get; init; } = DefaultKvPageSize;

    /// <summary>Token cells in the KV page pool shared by all slots; 0 means slots x context (no slot can run short).</summary>
    public int KvCacheTokens { get; init; }

    /// <summary>F16 (default), F32 or Q8_0 keys and values (Q8_0: about half of F16's memory, CPU attention only).</summary>
    public Tensors.GgmlType KvCacheType { get; init; } = Tensors.GgmlType.F16;

    /// <summary>Reuse cached prompt pages across requests (llama-server's cache_prompt, here across all slots).</summary>
    public bool PrefixCache { get; init; } = true;

    /// <summary>Run a few throwaway steps when a model loads, so its first requests run compiled code at full speed
    /// (<see cref="Runtime.InferenceContext.WarmUp"/>; llama-server's --no-warmup turns the same off).</summary>
    public bool WarmUp { get; init; } = true;

    /// <summary>Kernel threads; 0 means the physical cores.</summary>
    public int Threads { get; init; }

    /// <summary>The load-shedding ladder (off unless enabled).</summary>
    public Degradation.DegradationPolicy Degradation { get; init; } = new();

    /// <summary>Where the model runs (`--device`, `--gpu-layers`, `--override-tensor`); null keeps it on the CPU without planning.</summary>
    public Runtime.Placement.PlacementOptions? Placement { get; init; }

    /// <summary>How MoE layers schedule their experts (`--moe-schedule`).</summary>
    public Models.Experts.MoeSchedule MoeSchedule { get; init; } = Models.Experts.MoeSchedule.Auto;

    /// <summary>Accelerators the planner may use; null means those the runtime discovers.</summary>
    public IReadOnlyList<Devices.ComputeDevice>? Accelerators { get; init; }

    /// <summary>Origins allowed by CORS; empty means CORS stays off.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>A request that runs longer is cancelled (its slot freed).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Limits of the alert rules (`/v1/status`, `tessera_alert_active`) and how often they are evaluated.</summary>
    public Alerts.AlertThresholds Alerts { get; init; } = new();

    /// <summary>Write ASP.NET Core's log to the console (the CLI does; tests do not).</summary>
    public bool ConsoleLogging { get; init; }

    /// <summary>Every model served: the default first, then <see cref="AdditionalModels"/>.</summary>
    public IReadOnlyList<ModelSource> ServedModels => [new(ModelId ?? Path.GetFileNameWithoutExtension(ModelPath), ModelPath), .. AdditionalModels];

    /// <summary><see cref="MemoryBudgetBytes"/>, or the memory available to the process when it is 0.</summary>
    public long EffectiveMemoryBudget => MemoryBudgetBytes > 0 ? MemoryBudgetBytes : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>True when <see cref="Host"/> is a loopback address (or localhost).</summary>
    public bool ListensOnLoopbackOnly =>
        Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(Host, out var address) && IPAddress.IsLoopback(address));

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
            throw new ArgumentException("a model path is required", nameof(ModelPath));
        if (Port is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "the port must be in 0..65535");
        if (Parallel is < 1 or > MaxParallel)
            throw new ArgumentOutOfRangeException(nameof(Parallel), Parallel, $"parallel slots must be in 1..{MaxParallel}");
        if (MaxQueue < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxQueue), MaxQueue, "the queue length must not be negative");
        if (ContextSize < 0)
            throw new ArgumentOutOfRangeException(nameof(ContextSize), ContextSize, "the context size must not be negative");
        if (BatchSize < Parallel)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"the batch size must hold one token per slot ({Parallel})");
        if (ContextSize != 0 && ContextSize < Parallel)
            throw new ArgumentOutOfRangeException(nameof(ContextSize), ContextSize, $"the context must be at least the slot count ({Parallel}): the batch size is capped at the context");
        if (StepTokenBudget < 0 || StepTokenBudget > BatchSize)
            throw new ArgumentOutOfRangeException(nameof(StepTokenBudget), StepTokenBudget, $"the step token budget must be in 0..{BatchSize} (the batch size)");
        if (StepTokenBudget != 0 && StepTokenBudget < Parallel)
            throw new ArgumentOutOfRangeException(nameof(StepTokenBudget), StepTokenBudget, $"the step token budget must hold one token per slot ({Parallel})");
        if (KvPageSize is < 1 or > 4096)
            throw new ArgumentOutOfRangeException(nameof(KvPageSize), KvPageSize, "the KV page size must be in 1..4096 tokens");
        if (KvCacheTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(KvCacheTokens), KvCacheTokens, "the KV cache size must not be negative");
        if (KvCacheType is not (Tensors.GgmlType.F16 or Tensors.GgmlType.F32 or Tensors.GgmlType.Q8_0))
            throw new ArgumentOutOfRangeException(nameof(KvCacheType), KvCacheType, "the KV cache type must be F16, F32 or Q8_0");
        if (Threads < 0)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "the thread count must not be negative");
        if (MaxLoadedModels < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxLoadedModels), MaxLoadedModels, "at least one model must fit in memory");
        if (MemoryBudgetBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), MemoryBudgetBytes, "the memory budget must not be negative");
        var models = ServedModels;
        if (models.Any(model => string.IsNullOrWhiteSpace(model.Id) || string.IsNullOrWhiteSpace(model.Path)))
            throw new ArgumentException("every model needs an id and a path", nameof(AdditionalModels));
        if (models.GroupBy(model => model.Id, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1) is { } twice)
            throw new ArgumentException($"two models have the id '{twice.Key}'; give them different file names or ids", nameof(AdditionalModels));
        Degradation.Validate();
        if (Degradation.FallbackModel is { } fallback && !models.Any(model => model.Id == fallback))
            throw new ArgumentException($"the fallback model '{fallback}' is not one of the served models ({string.Join(", ", models.Select(m => m.Id))})", nameof(Degradation));
        if (ApiKey is { Length: 0 })
            throw new ArgumentException("the API key must not be empty", nameof(ApiKey));
    }
}
