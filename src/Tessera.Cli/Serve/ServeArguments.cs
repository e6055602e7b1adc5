using System.CommandLine;
using Tessera.Cli.Run;
using Tessera.Cli.Store;
using Tessera.Server.Configuration;
using Tessera.Server.Hosting;

namespace Tessera.Cli.Serve;

/// <summary>
/// The options of `tessera serve` and how they combine with a config file: a value typed on the command line wins,
/// then the file's, then the default. (The API key: flag, then TESSERA_API_KEY, then the file.)
/// </summary>
public sealed class ServeArguments
{
    public const string ApiKeyVariable = "TESSERA_API_KEY";

    private readonly Argument<string?> _model = new("model") { Description = "Path to a .gguf model or a store name (see tessera list); the default model", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string[]> _models = new("--model", "-m") { Description = "Another model to serve (repeatable), chosen by the request's \"model\"", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _modelsDir = new("--models-dir") { Description = "Serve every .gguf file (and every pulled model) in this folder" };
    private readonly Option<int> _maxModels = new("--max-models") { Description = "Models kept in memory at once", DefaultValueFactory = _ => ServerOptions.DefaultMaxLoadedModels };
    private readonly Option<string?> _budget = new("--memory-budget") { Description = "Memory the loaded models may take (e.g. 8G; default: the machine's)" };
    private readonly Option<string> _host = new("--host") { Description = "Address to listen on (loopback unless you open it)", DefaultValueFactory = _ => ServerOptions.DefaultHost };
    private readonly Option<int> _port = new("--port") { Description = "Port (0 = any free port)", DefaultValueFactory = _ => ServerOptions.DefaultPort };
    private readonly Option<int> _parallel = new("--parallel", "-np") { Description = "Requests generated at once (slots sharing the KV cache)", DefaultValueFactory = _ => ServerOptions.DefaultParallel };
    private readonly Option<int> _maxQueue = new("--max-queue") { Description = "Requests that may wait for a slot; more get 503", DefaultValueFactory = _ => ServerOptions.DefaultMaxQueue };
    private readonly Option<string?> _apiKey = new("--api-key") { Description = $"Require 'Authorization: Bearer KEY' (or set {ApiKeyVariable})" };
    private readonly Option<int> _context = new("--ctx", "-c") { Description = $"Context size per slot in tokens (0 = the model's, at most {ServerOptions.DefaultContextCap})" };
    private readonly Option<int> _threads = new("--threads", "-t") { Description = "Threads (0 = physical cores)" };
    private readonly Option<string[]> _cors = new("--cors-origin") { Description = "Allow browser requests from this origin (repeatable); CORS is off otherwise", AllowMultipleArgumentsPerToken = false };
    private readonly Option<int> _stepBudget = new("--step-budget") { Description = "Most tokens one scheduler step processes (0 = the batch size)" };
    private readonly Option<int> _kvPageSize = new("--kv-page-size") { Description = "Token positions per KV cache page", DefaultValueFactory = _ => ServerOptions.DefaultKvPageSize };
    private readonly Option<int> _kvCacheTokens = new("--kv-cache-tokens") { Description = "Token cells in the shared KV page pool (0 = slots x context)" };
    private readonly Option<bool> _noPrefixCache = new("--no-prefix-cache") { Description = "Do not reuse cached prompt pages across requests" };
    private readonly Option<bool> _noWarmUp = new("--no-warmup") { Description = "Skip the throwaway steps that warm a model up when it loads" };
    private readonly KvCacheArguments _cacheType = new();
    private readonly LoadModeArguments _loading = new();
    private readonly DeviceArguments _devices = new();
    private readonly MoeArguments _moe = new();

    public void AddTo(Command command)
    {
        command.Arguments.Add(_model);
        foreach (var option in new Option[] { _models, _modelsDir, _maxModels, _budget, _host, _port, _parallel, _maxQueue, _apiKey, _context, _threads,
                     _cors, _stepBudget, _kvPageSize, _kvCacheTokens, _noPrefixCache, _noWarmUp })
            command.Options.Add(option);
        _cacheType.AddTo(command);
        _loading.AddTo(command);
        _devices.AddTo(command);
        _moe.AddTo(command);
    }

    /// <summary>The server's options: the command line over <paramref name="config"/> over the defaults.</summary>
    public ServerOptions ToOptions(ParseResult parse, ServerConfig config, Action<string> warn)
    {
        var file = config.ApplyTo(new ServerOptions { ModelPath = "" });
        var served = ServedModels(parse, config, warn);
        return file with
        {
            ModelPath = served[0].Path,
            ModelId = served[0].Id,
            AdditionalModels = served.Skip(1).ToArray(),
            MaxLoadedModels = Pick(parse, _maxModels, file.MaxLoadedModels),
            MemoryBudgetBytes = parse.GetValue(_budget) is { } size ? Units.ParseBytes(size) : file.MemoryBudgetBytes,
            LoadMode = _loading.Read(parse, file.LoadMode),
            Host = Pick(parse, _host, file.Host),
            Port = Pick(parse, _port, file.Port),
            Parallel = Pick(parse, _parallel, file.Parallel),
            MaxQueue = Pick(parse, _maxQueue, file.MaxQueue),
            ApiKey = parse.GetValue(_apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable) ?? file.ApiKey,
            ContextSize = Pick(parse, _context, file.ContextSize),
            Threads = Pick(parse, _threads, file.Threads),
            StepTokenBudget = Pick(parse, _stepBudget, file.StepTokenBudget),
            KvPageSize = Pick(parse, _kvPageSize, file.KvPageSize),
            KvCacheTokens = Pick(parse, _kvCacheTokens, file.KvCacheTokens),
            KvCacheType = _cacheType.Read(parse, file.KvCacheType),
            PrefixCache = parse.IsGiven(_noPrefixCache) ? !parse.GetValue(_noPrefixCache) : file.PrefixCache,
            WarmUp = !parse.GetValue(_noWarmUp),
            Placement = _devices.Read(parse, file.Placement),
            MoeSchedule = _moe.Read(parse, file.MoeSchedule),
            ExpertTier = _moe.ReadTier(parse, file.ExpertTier),
            ExpertDevice = _moe.ReadDevice(parse, file.ExpertDevice),
            CorsOrigins = parse.IsGiven(_cors) ? parse.GetValue(_cors) ?? [] : file.CorsOrigins,
            ConsoleLogging = true,
        };
    }

    /// <summary>The live keys a flag sets: a reload of the file leaves them as the flag says.</summary>
    public IReadOnlySet<string> PinnedLiveKeys(ParseResult parse)
    {
        var pinned = new HashSet<string>(StringComparer.Ordinal);
        if (parse.IsGiven(_maxQueue))
            pinned.Add(ConfigKeys.MaxQueue.Path);
        if (parse.IsGiven(_stepBudget))
            pinned.Add(ConfigKeys.StepTokenBudget.Path);
        return pinned;
    }

    /// <summary>The model argument replaces `model.path` (and its `model.id`), `--model` replaces `model.models`,
    /// `--models-dir` replaces `model.models_dir`.</summary>
    private List<ModelSource> ServedModels(ParseResult parse, ServerConfig config, Action<string> warn)
    {
        string? first = parse.GetValue(_model);
        bool firstFromFile = first is null && config.TryGet(ConfigKeys.ModelPath, out first);
        string[] more = parse.IsGiven(_models) ? parse.GetValue(_models) ?? []
            : config.TryGet(ConfigKeys.Models, out var listed) ? listed : [];
        string? directory = parse.GetValue(_modelsDir) ?? (config.TryGet(ConfigKeys.ModelsDir, out var folder) ? folder : null);

        var served = new List<ModelSource>();
        foreach (string argument in first is null ? more : [first, .. more])
            served.Add(ServedModelList.FromArgument(argument));
        if (firstFromFile && config.TryGet(ConfigKeys.ModelId, out var id))
            served[0] = served[0] with { Id = id };
        if (directory is not null)
        {
            var found = ServedModelList.FromDirectory(directory, warn);
            if (found.Count == 0)
                warn($"no models in {directory}");
            // A file named both ways is served once.
            served.AddRange(found.Where(model => !served.Any(known => Path.GetFullPath(known.Path) == Path.GetFullPath(model.Path))));
        }
        if (served.Count == 0)
            throw new CliException("no model to serve: give a model path or store name, --model, --models-dir or model.path in --config");
        return served;
    }

    private static T Pick<T>(ParseResult parse, Option<T> option, T fallback) => parse.IsGiven(option) ? parse.GetValue(option)! : fallback;
}
