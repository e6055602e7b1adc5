using System.CommandLine;
using Tessera.Cli.Serve;
using Tessera.Server.Configuration;
using Tessera.Server.Hosting;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera serve [MODEL] [--config tessera.yaml] [--model M]... [--models-dir DIR] [--host H] [--port P] ...`: the
/// OpenAI-compatible HTTP server. The first model is the default (requests without "model") and loads at start; the
/// others load when a request names them, unloading the least recently used idle model when the count or the memory
/// budget is exceeded. It listens at once (GET /health answers 503 while the default model loads) and runs until
/// SIGTERM or Ctrl+C, letting running requests finish first. Settings come from the command line, then the config
/// file, then the defaults; every config that started cleanly is kept in the history (`tessera config history`), and
/// SIGHUP reloads the file's live settings. The API key may also come from the TESSERA_API_KEY environment variable,
/// which keeps it out of the process list.
/// </summary>
public static class ServeCommand
{
    public const string ApiKeyVariable = ServeArguments.ApiKeyVariable;

    public static Command Create(CommandOutput output)
    {
        var config = new Option<string?>("--config") { Description = "Read settings from this YAML file (see `tessera config check`); flags override it" };
        var rollback = new Option<string?>("--config-rollback")
        {
            Description = "Start from an earlier config that started cleanly: the one before the last, or the version ID (see `tessera config history`)",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "ID",
        };
        var strict = new Option<bool>("--strict-config") { Description = "Fail when --config is invalid instead of starting from the last good config" };
        var arguments = new ServeArguments();
        var command = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API");
        command.Options.Add(config);
        command.Options.Add(rollback);
        command.Options.Add(strict);
        arguments.AddTo(command);
        command.SetAction(parse =>
        {
            var store = ConfigStore.FromEnvironment();
            var choice = ConfigStartup.Choose(parse.GetValue(config), parse.GetResult(rollback) is not null, parse.GetValue(rollback),
                parse.GetValue(strict), store, output.Error);
            var options = arguments.ToOptions(parse, choice.Config, message => output.Error.WriteLine($"tessera: warning: {message}"));
            using var hangup = choice.ReloadPath is null ? null : new HangupReload(output.Error);
            return Serve(options, choice, arguments.PinnedLiveKeys(parse), store, hangup, output).GetAwaiter().GetResult();
        });
        return command;
    }

    private static async Task<int> Serve(ServerOptions options, ConfigChoice choice, IReadOnlySet<string> pinned, ConfigStore store,
        HangupReload? hangup, CommandOutput output)
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
        if (!ReferenceEquals(choice.Config, ServerConfig.Empty))
            Record(store, choice.Config.Text, output);
        if (hangup is not null && choice.ReloadPath is { } path)
        {
            // A reload that leaves nothing refused makes the file the running config: keep it for rollbacks.
            hangup.Attach(new ConfigReload(path, choice.Config, options, server.State.Live, pinned),
                result => { if (result is { Complete: true, Config: { } reloaded }) Record(store, reloaded.Text, output, onlyWhenNew: true); });
        }
        output.Error.Flush();
        await server.WaitForShutdownAsync();
        output.Error.WriteLine("tessera: stopped");
        return TesseraCli.ExitOk;
    }

    /// <summary>Keeps a config that started (or reloaded) cleanly; a history that cannot be written costs only the rollback.</summary>
    private static void Record(ConfigStore store, string text, CommandOutput output, bool onlyWhenNew = false)
    {
        try
        {
            string? latest = store.Latest?.Id;
            var version = store.Save(text);
            if (!onlyWhenNew || version.Id != latest)
                output.Error.WriteLine($"tessera: config version {version.Id}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            output.Error.WriteLine($"tessera: warning: cannot keep the config in {store.Folder}: {e.Message}");
        }
    }
}
