using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Tessera.Cli;
using Tessera.Cli.Serve;
using Tessera.Server.Configuration;
using Tessera.Testing;

namespace Tessera.Server.Tests.Configuration;

/// <summary>`tessera serve --config`: flags over the file, the start-up choice (file, rollback, fallback), `tessera
/// config check|history`, and a real SIGHUP to a child server.</summary>
public sealed class ServeConfigTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private static string Stories => SharedData.Model(TestServer.StoriesModel);

    private string History => Path.Combine(_folder.Path, "history");
    private string FilePath => Path.Combine(_folder.Path, "tessera.yaml");

    public void Dispose() => _folder.Dispose();

    private static Server.Hosting.ServerOptions Options(ServerConfig config, params string[] args)
    {
        var arguments = new ServeArguments();
        var command = new Command("serve");
        arguments.AddTo(command);
        return arguments.ToOptions(command.Parse(args), config, _ => { });
    }

    [Fact]
    public void Flags_typed_on_the_command_line_override_the_file_and_defaults_do_not()
    {
        var config = ServerConfigFile.Parse($"model:\n  path: {Stories}\n  id: tiny\nserver:\n  port: 9000\nscheduling:\n  parallel: 2\n  max_queue: 3\ncache:\n  prefix_cache: true\n", "f.yaml");

        var fromFile = Options(config);
        Assert.Equal((9000, 2, 3, "tiny", Stories, true), (fromFile.Port, fromFile.Parallel, fromFile.MaxQueue, fromFile.ModelId, fromFile.ModelPath, fromFile.PrefixCache));

        var overridden = Options(config, "--max-queue", "5", "--port", "8080", "--no-prefix-cache", "--cache-type", "f32", "--step-budget", "4");
        Assert.Equal((8080, 2, 5, false, Tensors.GgmlType.F32, 4), (overridden.Port, overridden.Parallel, overridden.MaxQueue, overridden.PrefixCache, overridden.KvCacheType, overridden.StepTokenBudget));
    }

    [Fact]
    public void A_model_on_the_command_line_replaces_the_files_model_and_its_id()
    {
        string other = SharedData.Model("llama-2-tiny-random.gguf");
        var config = ServerConfigFile.Parse($"model:\n  path: {Stories}\n  id: tiny\n", "f.yaml");
        var options = Options(config, other);
        Assert.Equal((other, "llama-2-tiny-random"), (options.ModelPath, options.ModelId));
    }

    [Fact]
    public void Without_a_file_the_flags_and_defaults_are_as_before()
    {
        var options = Options(ServerConfig.Empty, Stories, "--kv-page-size", "16", "--kv-cache-tokens", "4096", "-ctk", "q8_0");
        Assert.Equal((Server.Hosting.ServerOptions.DefaultPort, Server.Hosting.ServerOptions.DefaultMaxQueue, 16, 4096, Tensors.GgmlType.Q8_0),
            (options.Port, options.MaxQueue, options.KvPageSize, options.KvCacheTokens, options.KvCacheType));
        Assert.Equal("auto", options.Placement!.Device);
        Assert.True(options.WarmUp);
        Assert.False(Options(ServerConfig.Empty, Stories, "--no-warmup").WarmUp);
    }

    [Fact]
    public void Live_keys_given_as_flags_are_pinned()
    {
        var arguments = new ServeArguments();
        var command = new Command("serve");
        arguments.AddTo(command);
        Assert.Equal(["scheduling.max_queue"], arguments.PinnedLiveKeys(command.Parse(["--max-queue", "3", "--port", "1"])));
        Assert.Empty(arguments.PinnedLiveKeys(command.Parse([])));
    }

    [Fact]
    public void An_invalid_file_falls_back_to_the_last_good_version_with_a_loud_warning()
    {
        var store = new ConfigStore(History);
        var good = store.Save("scheduling:\n  max_queue: 7\n");
        File.WriteAllText(FilePath, "scheduling:\n  max_queue: 7\n  paralel: 2\n");
        var error = new StringWriter();

        var choice = ConfigStartup.Choose(FilePath, rollback: false, rollbackId: null, strict: false, store, error);

        Assert.Equal(FilePath, choice.ReloadPath);
        Assert.True(choice.Config.TryGet(ConfigKeys.MaxQueue, out int queue) && queue == 7);
        Assert.Equal($"config version {good.Id}", choice.Config.Source);
        string warning = error.ToString();
        Assert.Contains("WARNING", warning);
        Assert.Contains("line 3: scheduling.paralel: unknown key; did you mean 'parallel'?", warning);
        Assert.Contains($"starting from the last good config, version {good.Id}", warning);
    }

    [Fact]
    public void Strict_config_fails_instead_of_falling_back()
    {
        var store = new ConfigStore(History);
        store.Save("scheduling:\n  max_queue: 7\n");
        File.WriteAllText(FilePath, "scheduling:\n  parallel: 0\n");
        var error = Assert.Throws<ConfigException>(() => ConfigStartup.Choose(FilePath, false, null, strict: true, store, TextWriter.Null));
        Assert.Equal(("scheduling.parallel", 2), (error.Errors[0].Key, error.Errors[0].Line));
    }

    [Fact]
    public void An_invalid_file_with_no_history_fails_with_its_errors()
    {
        File.WriteAllText(FilePath, "scheduling:\n  parallel: 0\n");
        var error = Assert.Throws<ConfigException>(() => ConfigStartup.Choose(FilePath, false, null, false, new ConfigStore(History), TextWriter.Null));
        Assert.Contains("scheduling.parallel", error.Message);
        Assert.Contains("none to fall back to", error.Message);
    }

    [Fact]
    public void Rollback_starts_from_the_previous_version_or_the_one_named()
    {
        var store = new ConfigStore(History);
        var first = store.Save("scheduling:\n  max_queue: 1\n");
        var second = store.Save("scheduling:\n  max_queue: 2\n");
        store.Save("scheduling:\n  max_queue: 3\n");

        var previous = ConfigStartup.Choose(null, rollback: true, rollbackId: null, strict: false, store, TextWriter.Null);
        Assert.Equal($"config version {second.Id}", previous.Config.Source);
        Assert.Null(previous.ReloadPath);
        var named = ConfigStartup.Choose(FilePath, rollback: true, rollbackId: first.Id, strict: false, store, TextWriter.Null);
        Assert.True(named.Config.TryGet(ConfigKeys.MaxQueue, out int queue) && queue == 1);
        var unknown = Assert.Throws<ConfigException>(() => ConfigStartup.Choose(null, true, "19990101-000000-00000000", false, store, TextWriter.Null));
        Assert.Contains($"known: {store.Latest!.Id}, {second.Id}, {first.Id}", unknown.Message);
    }

    [Fact]
    public void Config_check_accepts_the_example_and_prints_each_error_with_file_line_and_key()
    {
        var (code, output, _) = Run("config", "check", Path.Combine(SharedData.RepoRoot, "docs", "tessera.example.yaml"));
        Assert.Equal(TesseraCli.ExitOk, code);
        Assert.Contains(": ok (", output);

        File.WriteAllText(FilePath, "server:\n  port: 99999\nscheduling:\n  paralel: 2\n");
        var (bad, _, errors) = Run("config", "check", FilePath);
        Assert.Equal(TesseraCli.ExitError, bad);
        Assert.Equal([$"tessera: error: {FilePath}: line 2: server.port: must be in 0..65535, not 99999",
            $"tessera: error: {FilePath}: line 4: scheduling.paralel: unknown key; did you mean 'parallel'?"], errors.TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public void Config_history_lists_the_versions_newest_first_marking_the_current()
    {
        var store = new ConfigStore(History);
        var older = store.Save("a: 1\n");
        var newer = store.Save("a: 2\n");
        Environment.SetEnvironmentVariable(ConfigStore.FolderVariable, History);
        try
        {
            var (code, output, _) = Run("config", "history");
            Assert.Equal(TesseraCli.ExitOk, code);
            Assert.Equal([$"{newer.Id}  (current)", older.Id], output.TrimEnd().Split(Environment.NewLine));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConfigStore.FolderVariable, null);
        }
    }

    [Fact]
    public async Task A_served_config_is_kept_and_SIGHUP_applies_live_keys_and_refuses_the_others()
    {
        string started = $"model:\n  path: {Stories}\nserver:\n  port: 0\nscheduling:\n  parallel: 1\n  max_queue: 4\n  threads: 1\nmemory:\n  context_size: 256\n";
        File.WriteAllText(FilePath, started);
        await using var serve = await ServeProcess.StartAsync(new Dictionary<string, string> { [ConfigStore.FolderVariable] = History }, "serve", "--config", FilePath);
        await serve.WaitForLineAsync("config version ");
        Assert.Equal(started, Assert.Single(new ConfigStore(History).Versions()).ReadText());
        const string twoChoices = """{"prompt":"Once upon a time","max_tokens":2,"n":2}""";
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(serve, twoChoices)).StatusCode);

        // One slot and no queue cannot hold two choices: the live queue length is what the request is checked against.
        File.WriteAllText(FilePath, started.Replace("max_queue: 4", "max_queue: 0", StringComparison.Ordinal) + "  kv_page_size: 16\n");
        using (var hangup = Process.Start("kill", ["-HUP", serve.Process.Id.ToString()]))
            await hangup.WaitForExitAsync();

        await serve.WaitForLineAsync("config reloaded: scheduling.max_queue: 4 -> 0");
        Assert.Contains(serve.Stderr, line => line.Contains("restart to change memory.kv_page_size"));
        Assert.False(serve.Process.HasExited);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(serve, twoChoices)).StatusCode);
    }

    private static async Task<HttpResponseMessage> PostAsync(ServeProcess serve, string json)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        return await serve.Http.PostAsync("/v1/completions", content);
    }

    private static (int Code, string Out, string Error) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TesseraCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
