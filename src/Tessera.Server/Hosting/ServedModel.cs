using Tessera.ChatTemplates;
using Tessera.Gguf;
using Tessera.Models;
using Tessera.Runtime;
using Tessera.Server.Metrics;
using Tessera.Server.Scheduling;
using Tessera.Tokenizers;

namespace Tessera.Server.Hosting;

/// <summary>The model a server answers with: weights, tokenizer, chat template, the inference context and its scheduler.</summary>
public sealed class ServedModel : IDisposable
{
    private ServedModel(ModelSource source, TransformerModel model, Tokenizer tokenizer, ChatTemplate template, bool templateFromModel,
        InferenceContext context, Scheduler scheduler)
    {
        Source = source;
        Model = model;
        Tokenizer = tokenizer;
        Template = template;
        TemplateFromModel = templateFromModel;
        Context = context;
        Scheduler = scheduler;
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public ModelSource Source { get; }
    public string Id => Source.Id;
    public TransformerModel Model { get; }
    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }

    /// <summary>False when the file has no usable template and ChatML stands in.</summary>
    public bool TemplateFromModel { get; }
    public InferenceContext Context { get; }
    public Scheduler Scheduler { get; }

    /// <summary>Unix seconds when loading finished (the "created" of /v1/models).</summary>
    public long Created { get; }

    public int VocabularySize => Model.VocabularySize;

    /// <summary>Bytes of the weight files (all split parts).</summary>
    public long FileBytes => Model.File.SplitCount == 1 ? Model.File.FileSize : Model.File.PartPaths.Sum(part => new FileInfo(part).Length);

    /// <summary>What the model holds in memory: its weights and its KV cache (what the memory budget counts).</summary>
    public long MemoryBytes => FileBytes + Context.Cache.TotalBytes;

    public static ServedModel Load(ServerOptions options, ModelSource source, ServerMetrics metrics, Action<string> warn)
    {
        var model = ModelLoader.Load(source.Path, options.LoadMode);
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
            });
            if (options.Placement is not null)
                warn(context.Plan.Describe());
            context.DeviceFallback += report =>
            {
                metrics.RecordFallback(report.Device.Name);
                warn(report.ToString());
            };
            var scheduler = new Scheduler(context, tokenizer, options.MaxQueue, metrics);
            return new ServedModel(source, model, tokenizer, template, fromModel, context, scheduler);
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
        Scheduler.Dispose();
        Context.Dispose();
        Model.Dispose();
    }
}
