using Tessera.Server.Alerts;
using Tessera.Server.Configuration;
using Tessera.Server.Hosting;
using Tessera.Testing;

namespace Tessera.Server.Tests.Configuration;

/// <summary>What a reload applies live, what it refuses, and that an invalid file changes nothing.</summary>
public sealed class ConfigReloadTests : IDisposable
{
    private const string Started = "scheduling:\n  max_queue: 8\nmemory:\n  kv_page_size: 32\n";
    private readonly TempFolder _folder = new();

    private string FilePath => Path.Combine(_folder.Path, "tessera.yaml");

    public void Dispose() => _folder.Dispose();

    private (ConfigReload Reload, LiveSettings Live) Start(string yaml, IReadOnlySet<string>? pinned = null)
    {
        File.WriteAllText(FilePath, yaml);
        var config = ServerConfigFile.Load(FilePath);
        var options = config.ApplyTo(new ServerOptions { ModelPath = "m.gguf" });
        var live = new LiveSettings(options);
        return (new ConfigReload(FilePath, config, options, live, pinned), live);
    }

    [Fact]
    public void Live_keys_take_their_new_values()
    {
        var (reload, live) = Start(Started);
        LiveValues? seen = null;
        live.Changed += values => seen = values;
        File.WriteAllText(FilePath, "scheduling:\n  max_queue: 2\n  step_token_budget: 64\nmemory:\n  kv_page_size: 32\nserver:\n  request_timeout_seconds: 30\n");

        var result = reload.Reload();

        Assert.True(result.Complete);
        Assert.Equal(new LiveValues(2, TimeSpan.FromSeconds(30), 64, new AlertThresholds()), live.Current);
        Assert.Equal(live.Current, seen);
        Assert.Contains("scheduling.max_queue: 8 -> 2", result.Applied);
        Assert.Contains("server.request_timeout_seconds: 600 -> 30", result.Applied);
        Assert.Contains("config reloaded: ", result.Describe(FilePath).Last());
    }

    [Fact]
    public void Keys_that_need_a_restart_are_refused_by_name_while_live_ones_apply()
    {
        var (reload, live) = Start(Started);
        File.WriteAllText(FilePath, "scheduling:\n  max_queue: 4\n  parallel: 2\nmemory:\n  kv_page_size: 16\n");

        var result = reload.Reload();

        Assert.Equal(["memory.kv_page_size", "scheduling.parallel"], result.Refused.Order());
        Assert.Equal(4, live.MaxQueue);
        Assert.False(result.Complete);
        Assert.Contains(result.Describe(FilePath), line => line.Contains("restart to change memory.kv_page_size, scheduling.parallel"));
    }

    [Fact]
    public void Writing_a_default_out_explicitly_is_no_change()
    {
        var (reload, _) = Start("scheduling:\n  max_queue: 8\n");
        File.WriteAllText(FilePath, "scheduling:\n  max_queue: 8\n  parallel: 4\nmemory:\n  kv_page_size: 32\n");
        var result = reload.Reload();
        Assert.Empty(result.Refused);
        Assert.Empty(result.Applied);
        Assert.Equal("config reloaded: no live setting changed", Assert.Single(result.Describe(FilePath)));
    }

    [Fact]
    public void An_invalid_file_is_refused_with_its_errors_and_nothing_changes()
    {
        var (reload, live) = Start(Started);
        var before = live.Current;
        File.WriteAllText(FilePath, "scheduling:\n  max_queue: 1\n  paralel: 2\n");

        var result = reload.Reload();

        Assert.Equal(before, live.Current);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("scheduling.paralel", 3), (error.Key, error.Line));
        Assert.Contains("the running config stays", result.Describe(FilePath).First());
    }

    [Fact]
    public void A_missing_file_is_refused()
    {
        var (reload, live) = Start(Started);
        File.Delete(FilePath);
        Assert.NotEmpty(reload.Reload().Errors);
        Assert.Equal(8, live.MaxQueue);
    }

    [Fact]
    public void A_key_left_out_goes_back_to_its_default()
    {
        var (reload, live) = Start(Started);
        File.WriteAllText(FilePath, "memory:\n  kv_page_size: 32\n");
        reload.Reload();
        Assert.Equal(ServerOptions.DefaultMaxQueue, live.MaxQueue);
    }

    [Fact]
    public void A_key_a_flag_set_stays_as_the_flag_says()
    {
        var (reload, live) = Start(Started, new HashSet<string> { "scheduling.max_queue" });
        File.WriteAllText(FilePath, Started.Replace("max_queue: 8", "max_queue: 1", StringComparison.Ordinal) + "server:\n  request_timeout_seconds: 5\n");
        var result = reload.Reload();
        Assert.Equal(["scheduling.max_queue"], result.Pinned);
        Assert.Equal(8, live.MaxQueue);
        Assert.Equal(TimeSpan.FromSeconds(5), live.RequestTimeout);
    }

    [Fact]
    public void Live_values_that_break_the_options_together_are_refused()
    {
        var (reload, live) = Start("memory:\n  batch_size: 64\n");
        File.WriteAllText(FilePath, "memory:\n  batch_size: 64\nscheduling:\n  step_token_budget: 2\n");
        var result = reload.Reload();
        Assert.Equal("scheduling.step_token_budget", Assert.Single(result.Errors).Key);
        Assert.Equal(0, live.StepTokenBudget);
    }

    [Fact]
    public void Alert_thresholds_change_live()
    {
        var (reload, live) = Start(Started + "alerts:\n  kv_fragmentation: 0.5\n");
        Assert.Equal(0.5, live.Alerts.KvFragmentation);
        File.WriteAllText(FilePath, Started + "alerts:\n  kv_fragmentation: 0.2\n  interval_seconds: 1\n  memory_growth_samples: 5\n");

        var result = reload.Reload();

        Assert.True(result.Complete);
        Assert.Equal(new AlertThresholds { KvFragmentation = 0.2, IntervalSeconds = 1, MemoryGrowthSamples = 5 }, live.Alerts);
        Assert.Contains("alerts.kv_fragmentation: 0.5 -> 0.2", result.Applied);
    }
}
