using Tessera.Cli.Run;
using Tessera.Cli.Store;
using System.CommandLine;
using Tessera.Server.Hosting;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera serve [MODEL] [--model M]... [--models-dir DIR] [--max-models N] [--memory-budget SIZE] [--host H] [--port P]
/// [--parallel N] [--max-queue N] [--api-key KEY] [--ctx N] [--threads N] [--cors-origin URL]...`: the OpenAI-compatible
/// HTTP server. The first model is the default (requests without "model") and loads at start; the others load when a
/// request names them, unloading the least recently used idle model when the count or the memory budget is exceeded.
/// It listens at once (GET /health answers 503 while the default model loads) and runs until SIGTERM or Ctrl+C,
/// letting running requests finish first. The API key may also come from
/// the TESSERA_API_KEY environment variable, which keeps it out of the process list.
/// </summary>
public static class ServeCommand
{
    public const string ApiKeyVariable = "TESSERA_API_KEY";

    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string?>("model") { Description = "Path to a .gguf model or a store name (see tessera list); the default model", Arity = ArgumentArity.ZeroOrOne };
        var models = new Option<string[]>("--model", "-m") { Description = "Another model to serve (repeatable), chosen by the request's \"model\"", AllowMultipleArgumentsPerToken = false };
        var modelsDir = new Option<string?>("--models-dir") { Description = "Serve every .gguf file (and every pulled model) in this folder" };
        var maxModels = new Option<int>("--max-models") { Description = "Models kept in memory at once", DefaultValueFactory = _ => ServerOptions.DefaultMaxLoadedModels };
        var budget = new Option<string?>("--memory-budget") { Description = "Memory the loaded models may take (e.g. 8G; default: the machine's)" };
        var host = new Option<string>("--host") { Description = "Address to listen on (loopback unless you open it)", DefaultValueFactory = _ => ServerOptions.DefaultHost };
        var port = new Option<int>("--port") { Description = "Port (0 = any free port)", DefaultValueFactory = _ => ServerOptions.DefaultPort };
        var parallel = new Option<int>("--parallel", "-np") { Description = "Requests generated at once (slots sharing the KV cache)", DefaultValueFactory = _ => ServerOptions.DefaultParallel };
        var maxQueue = new Option<int>("--max-queue") { Description = "Requests that may wait for a slot; more get 503", DefaultValueFactory = _ => ServerOptions.DefaultMaxQueue };
        var apiKey = new Option<string?>("--api-key") { Description = $"Require 'Authorization: Bearer KEY' (or set {ApiKeyVariable})" };
        var context = new Option<int>("--ctx", "-c") { Description = $"Context size per slot in tokens (0 = the model's, at most {ServerOptions.DefaultContextCap})" };
        var threads = new Option<int>("--threads", "-t") { Description = "Threads (0 = physical cores)" };
        var cors = new Option<string[]>("--cors-origin") { Description = "Allow browser requests from this origin (repeatable); CORS is off otherwise", AllowMultipleArgumentsPerToken = false };
        var loading = new LoadModeArguments();
        var devices = new DeviceArguments();
        var moe = new MoeArguments();
        var command = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API");
        command.Arguments.Add(model);
        foreach (var option in new Option[] { models, modelsDir, maxModels, budget, host, port, parallel, maxQueue, apiKey, context, threads, cors })
            command.Options.Add(option);
        loading.AddTo(command);
        devices.AddTo(command);
        moe.AddTo(command);
        command.SetAction(parse =>
        {
            var served = ServedModels(parse.GetValue(model), parse.GetValue(models) ?? [], parse.GetValue(modelsDir), output);
            var options = new ServerOptions
            {
                ModelPath = served[0].Path,
                ModelId = served[0].Id,
                AdditionalModels = served.Skip(1).ToArray(),
                MaxLoadedModels = parse.GetValue(maxModels),
                MemoryBudgetBytes = parse.GetValue(budget) is { } size ? Units.ParseBytes(size) : 0,
                LoadMode = loading.Read(parse),
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                Parallel = parse.GetValue(parallel),
                MaxQueue = parse.GetValue(maxQueue),
                ApiKey = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable),
                ContextSize = parse.GetValue(context),
                Threads = parse.GetValue(threads),
                Placement = devices.Read(parse),
                MoeSchedule = moe.Read(parse),
                CorsOrigins = parse.GetValue(cors) ?? [],
                ConsoleLogging = true,
            };
            return Serve(options, output).GetAwaiter().GetResult();
        });
        return command;
    }

    private static List<ModelSource> ServedModels(string? first, string[] more, string? directory, CommandOutput output)
    {
        var served = new List<ModelSource>();
        foreach (string argument in first is null ? more : [first, .. more])
            served.Add(ServedModelList.FromArgument(argument));
        if (directory is not null)
        {
            var found = ServedModelList.FromDirectory(directory, message => output.Error.WriteLine($"tessera: warning: {message}"));
            if (found.Count == 0)
                output.Error.WriteLine($"tessera: warning: no models in {directory}");
            // A file named both ways is served once.
            served.AddRange(found.Where(model => !served.Any(known => Path.GetFullPath(known.Path) == Path.GetFullPath(model.Path))));
        }
        if (served.Count == 0)
            throw new CliException("no model to serve: give a model path or store name, --model or --models-dir");
        return served;
    }

    private static async Task<int> Serve(ServerOptions options, CommandOutput output)
    {
        await using var server = await TesseraServer.StartAsync(options);
        output.Error.WriteLine($"tessera: listening on {server.BaseAddress} (loading {Path.GetFileName(options.ModelPath)})");
        if (options.AdditionalModels.Count > 0)
            output.Error.WriteLine($"tessera: also serving {string.Join(", ", options.AdditionalModels.Select(m => m.Id))} (loaded on first use, at most {options.MaxLoadedModels} at once)");
        if (!options.ListensOnLoopbackOnly && options.ApiKey is null)
            output.Error.WriteLine("tessera: warning: listening beyond loopback without --api-key");
        try
        {
            await server.Ready;
        }
        catch (Exception e)
        {
            throw new CliException($"cannot load the model: {e.Message}");
        }
        var model = server.State.Model!;
        output.Error.WriteLine($"tessera: ready: model '{model.Id}', {model.Scheduler.SlotCount} slots x {model.Scheduler.ContextSize} tokens");
        output.Error.Flush();
        await server.WaitForShutdownAsync();
        output.Error.WriteLine("tessera: stopped");
        return TesseraCli.ExitOk;
    }
}
