using System.Diagnostics;
using Tessera.Gguf;
using Tessera.Models;
using Tessera.Runtime;
using Tessera.Tokenizers;

namespace Tessera.Cli.Run;

/// <summary>A model and its tokenizer opened from a command-line path, with the time it took.</summary>
public sealed class LoadedModel : IDisposable
{
    private LoadedModel(TransformerModel model, Tokenizer tokenizer, TimeSpan loadTime)
    {
        Model = model;
        Tokenizer = tokenizer;
        LoadTime = loadTime;
    }

    public TransformerModel Model { get; }
    public Tokenizer Tokenizer { get; }
    public TimeSpan LoadTime { get; }

    public static LoadedModel Open(string path, GgufLoadMode mode = GgufLoadMode.Map)
    {
        var clock = Stopwatch.StartNew();
        var file = ModelFiles.OpenGguf(path, mode);
        TransformerModel model;
        try
        {
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
            return new LoadedModel(model, tokenizer, clock.Elapsed);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>An inference context of <paramref name="contextSize"/> positions (0: the model's, capped at
    /// <see cref="DefaultContextCap"/>) for one sequence.</summary>
    public InferenceContext CreateContext(int contextSize, int threads, int batchSize = ContextOptions.DefaultBatchSize)
    {
        if (contextSize < 0)
            throw new CliException($"--ctx {contextSize} must be positive");
        if (threads < 0)
            throw new CliException($"--threads {threads} must be positive");
        int context = contextSize > 0 ? contextSize : Math.Min(Model.Hyperparameters.ContextLength, DefaultContextCap);
        return UserErrors.Guard(() => new InferenceContext(Model, new ContextOptions { ContextSize = context, Threads = threads, BatchSize = batchSize }));
    }

    /// <summary>Default context when none is asked for: models trained on 128K positions would otherwise reserve GBs of cache.</summary>
    public const int DefaultContextCap = 4096;

    public void Dispose() => Model.Dispose();
}
