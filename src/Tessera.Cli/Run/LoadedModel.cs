using System.Diagnostics;
using Tessera.Gguf;
using Tessera.Models;
using Tessera.Runtime;
using Tessera.Runtime.Placement;
using Tessera.Tokenizers;

namespace Tessera.Cli.Run;

/// <summary>A model and its tokenizer opened from a command-line path, with the time it took.</summary>
public sealed class LoadedModel : IDisposable
{
    private LoadedModel(TransformerModel model, Tokenizer tokenizer, TimeSpan loadTime, HugePageReport pages)
    {
        Model = model;
        Tokenizer = tokenizer;
        LoadTime = loadTime;
        Pages = pages;
    }

    public TransformerModel Model { get; }
    public Tokenizer Tokenizer { get; }
    public TimeSpan LoadTime { get; }

    /// <summary>How the weights were brought into memory (see <see cref="GgufFile.PrefaultInHugePages"/>).</summary>
    public HugePageReport Pages { get; }

    /// <param name="prefault">read a mapped model in at once, in 2 MiB pages where the system allows; false leaves
    /// pages to be read when first used (the expert memory tier, which keeps cold experts out of memory)</param>
    public static LoadedModel Open(string path, GgufLoadMode mode = GgufLoadMode.Map, bool prefault = true)
    {
        var clock = Stopwatch.StartNew();
        var file = ModelFiles.OpenGguf(path, mode);
        TransformerModel model;
        HugePageReport pages;
        try
        {
            pages = prefault ? file.PrefaultInHugePages() : default;
            model = UserErrors.Guard(() => ModelLoader.Load(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
        try
        {
            var tokenizer = UserErrors.Guard(() => ModelTokenizer.For(model));
            return new LoadedModel(model, tokenizer, clock.Elapsed, pages);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>An inference context of <paramref name="contextSize"/> positions (0: the model's, capped at
    /// <see cref="DefaultContextCap"/>) for one sequence.</summary>
    /// <param name="placement">where to run the model; null keeps it on the CPU without planning</param>
    /// <param name="diagnostics">receives the plan (when <paramref name="verbose"/>) and a line for each device fallback</param>
    public InferenceContext CreateContext(int contextSize, int threads, int batchSize = ContextOptions.DefaultBatchSize,
        PlacementOptions? placement = null, TextWriter? diagnostics = null, bool verbose = false, Models.Experts.MoeSchedule moeSchedule = Models.Experts.MoeSchedule.Auto,
        Runtime.Experts.ExpertTierOptions? expertTier = null, Runtime.Experts.ExpertDeviceOptions? expertDevice = null,
        Tensors.GgmlType kvCacheType = Tensors.GgmlType.F16)
    {
        if (contextSize < 0)
            throw new CliException($"--ctx {contextSize} must be positive");
        if (threads < 0)
            throw new CliException($"--threads {threads} must be positive");
        int context = contextSize > 0 ? contextSize : Math.Min(Model.Hyperparameters.ContextLength, DefaultContextCap);
        var inference = UserErrors.Guard(() => new InferenceContext(Model,
            new ContextOptions
            {
                ContextSize = context, Threads = threads, BatchSize = batchSize, Placement = placement, MoeSchedule = moeSchedule,
                ExpertTier = expertTier,
                ExpertDevice = expertDevice,
                KvCacheType = kvCacheType,
            }));
        if (diagnostics is not null)
        {
            ExpertTierReport.WriteStart(diagnostics, inference, expertTier, verbose);
            ExpertTierReport.WriteDeviceStart(diagnostics, inference, verbose);
            if (verbose)
                diagnostics.WriteLine(inference.Plan.Describe());
            else if (inference.DeviceFailures > 0)
                diagnostics.WriteLine($"tessera: warning: {inference.Plan.Notes[^1]}");
            inference.DeviceFallback += report => diagnostics.WriteLine($"tessera: warning: {report}");
        }
        return inference;
    }

    /// <summary>Default context when none is asked for: models trained on 128K positions would otherwise reserve GBs of cache.</summary>
    public const int DefaultContextCap = 4096;

    public void Dispose() => Model.Dispose();
}
