using Tessera.ChatTemplates;
using Tessera.Gguf;
using Tessera.Models;
using Tessera.Models.Encoders;
using Tessera.Runtime;
using Tessera.Runtime.Embeddings;
using Tessera.Runtime.Paging;
using Tessera.Server.Api;
using Tessera.Server.Metrics;
using Tessera.Server.Scheduling;
using Tessera.Tokenizers;

namespace Tessera.Server.Hosting;

/// <summary>
/// The model a server answers with: weights, tokenizer, chat template, the inference context and its scheduler, and
/// an embedder for /v1/embeddings. An encoder (BERT) has only the embedder: asking it for the generation parts
/// (<see cref="Model"/>, <see cref="Context"/>, <see cref="Scheduler"/>) is a 400 saying it cannot generate.
/// </summary>
public sealed class ServedModel : IDisposable
{
    private readonly TransformerModel? _model;
    private readonly InferenceContext? _context;
    private readonly Scheduler? _scheduler;
    private readonly EncoderModel? _encoder;
    private readonly int _threads;
    private readonly object _embedderGate = new();
    private Embedder? _embedder;

    private ServedModel(ModelSource source, TransformerModel model, Tokenizer tokenizer, ChatTemplate template, bool templateFromModel,
        InferenceContext context, Scheduler scheduler, int threads)
    {
        Source = source;
        _model = model;
        Tokenizer = tokenizer;
        Template = template;
        TemplateFromModel = templateFromModel;
        _context = context;
        _scheduler = scheduler;
        _threads = threads;
        File = model.File;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    private ServedModel(ModelSource source, EncoderModel encoder, Tokenizer tokenizer, Embedder embedder)
    {
        Source = source;
        _encoder = encoder;
        Tokenizer = tokenizer;
        Template = ChatTemplate.ChatMl;
        _embedder = embedder;
        File = encoder.File;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public ModelSource Source { get; }
    public string Id => Source.Id;

    /// <summary>Whether the model generates text (a decoder); encoders only embed.</summary>
    public bool CanGenerate => _model is not null;

    public TransformerModel Model => _model ?? throw CannotGenerate();
    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }

    /// <summary>The weights file (of the decoder or the encoder).</summary>
    public GgufFile File { get; }

    /// <summary>False when the file has no usable template and ChatML stands in.</summary>
    public bool TemplateFromModel { get; }
    public InferenceContext Context => _context ?? throw CannotGenerate();
    public Scheduler Scheduler => _scheduler ?? throw CannotGenerate();

    /// <summary>Where the generation parts run; null for an encoder.</summary>
    public Runtime.Placement.ExecutionPlan? Plan => _context?.Plan;

    /// <summary>The embedder: an encoder's from loading, a decoder's made on first use (it holds a KV cache of its own).</summary>
    public Embedder Embedder
    {
        get
        {
            lock (_embedderGate)
            {
                return _embedder ??= new Embedder(_model!, Tokenizer, new EmbedderOptions { Threads = _threads, ContextSize = _context!.ContextSize });
            }
        }
    }

    /// <summary>Unix seconds when loading finished (the "created" of /v1/models).</summary>
    public long Created { get; }

    public int VocabularySize => Tokenizer.VocabularySize;

    /// <summary>Bytes of the weight files (all split parts).</summary>
    public long FileBytes => File.SplitCount == 1 ? File.FileSize : File.PartPaths.Sum(part => new FileInfo(part).Length);

    /// <summary>What the model holds in memory: its weights and its KV cache (what the memory budget counts).</summary>
    public long MemoryBytes => FileBytes + (_context?.Cache.TotalBytes ?? 0);

    private ApiException CannotGenerate() => ApiException.BadRequest("model",
        $"The model '{Id}' is an embedding model ({File.Metadata.GetStringOrNull(GgufKeys.Architecture)}); it cannot generate text. Use /v1/embeddings.",
        "model_cannot_generate");

    public static ServedModel Load(ServerOptions options, ModelSource source, ServerMetrics metrics, Action<string> warn)
    {
        var file = GgufFile.Open(source.Path, options.LoadMode);
        bool encoder;
        try
        {
            encoder = ModelLoader.IsEncoder(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return encoder ? LoadEncoder(options, source, file) : LoadDecoder(options, source, file, metrics, warn);
    }

    private static ServedModel LoadEncoder(ServerOptions options, ModelSource source, GgufFile file)
    {
        EncoderModel model;
        try
        {
            model = ModelLoader.LoadEncoder(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        try
        {
            var tokenizer = ModelTokenizer.For(model);
            return new ServedModel(source, model, tokenizer, new Embedder(model, tokenizer, new EmbedderOptions { Threads = options.Threads }));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Most time a model's warm-up takes (it also stops after 64 steps): long enough for the JIT's optimized
    /// tier to take over on a small model, a few steps of a large one.</summary>
    private static readonly TimeSpan WarmUpBudget = TimeSpan.FromSeconds(1.5);

    private static ServedModel LoadDecoder(ServerOptions options, ModelSource source, GgufFile file, ServerMetrics metrics, Action<string> warn)
    {
        TransformerModel model;
        try
        {
            if (options.ExpertTier is null)   // the expert memory tier keeps cold experts out of memory
                _ = file.PrefaultInHugePages();
            model = ModelLoader.Load(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        try
        {
            var tokenizer = ModelTokenizer.For(model);
            var (template, fromModel) = ReadTemplate(model.File.Metadata, warn);
            int contextSize = options.ContextSize > 0 ? options.ContextSize : Math.Min(model.Hyperparameters.ContextLength, ServerOptions.DefaultContextCap);
            var context = new InferenceContext(model, new ContextOptions
            {
                ContextSize = contextSize,
                BatchSize = options.BatchSize,
                SequenceCount = options.Parallel,
                Threads = options.Threads,
                Placement = options.Placement,
                Accelerators = options.Accelerators,
                MoeSchedule = options.MoeSchedule,
                ExpertTier = options.ExpertTier,
                ExpertDevice = options.ExpertDevice,
                KvCacheType = options.KvCacheType,
                Paging = new KvPaging { PageSize = options.KvPageSize, TotalTokens = options.KvCacheTokens, PrefixCache = options.PrefixCache },
            });
            if (options.Placement is not null)
                warn(context.Plan.Describe());
            if (context.ExpertTier is { } tier)
            {
                foreach (string warning in tier.Warnings)
                    warn(warning);
                warn($"expert tier: {tier.Plan.HotPerLayer} of {tier.Plan.ExpertCount} experts per layer resident; placement from {tier.PlacementSource}");
            }
            if (context.DeviceExperts is { } onDevice)
                warn($"hot experts: {onDevice.HotPerLayer} of {model.Hyperparameters.ExpertCount} per layer copied to {onDevice.Device.Name}, the rest on the CPU");
            context.DeviceFallback += report =>
            {
                metrics.RecordFallback(report.Device.Name);
                warn(report.ToString());
            };
            if (options.WarmUp)
                context.WarmUp(WarmUpBudget);
            var scheduler = new Scheduler(context, tokenizer, options.MaxQueue, metrics, options.StepTokenBudget);
            return new ServedModel(source, model, tokenizer, template, fromModel, context, scheduler, options.Threads);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static (ChatTemplate Template, bool FromModel) ReadTemplate(GgufMetadata metadata, Action<string> warn)
    {
        string? source = metadata.GetStringOrNull(GgufKeys.ChatTemplate);
        if (source is null)
        {
            warn($"the model has no {GgufKeys.ChatTemplate}; chat requests use ChatML");
            return (ChatTemplate.ChatMl, false);
        }
        try
        {
            return (ChatTemplate.Parse(source), true);
        }
        catch (TemplateException e)
        {
            warn($"the model's chat template cannot be used ({e.Message}); chat requests use ChatML");
            return (ChatTemplate.ChatMl, false);
        }
    }

    public void Dispose()
    {
        _scheduler?.Dispose();
        lock (_embedderGate)
            _embedder?.Dispose();
        _context?.Dispose();
        _model?.Dispose();
        _encoder?.Dispose();
    }
}
