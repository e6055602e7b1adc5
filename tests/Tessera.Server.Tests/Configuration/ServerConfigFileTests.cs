using Tessera.Server.Alerts;
using Tessera.Gguf;
using Tessera.Models.Experts;
using Tessera.Server.Configuration;
using Tessera.Server.Hosting;
using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Server.Tests.Configuration;

/// <summary>`tessera.yaml` parsing and validation: every error names its key and line.</summary>
public sealed class ServerConfigFileTests
{
    private static ConfigError SingleError(string yaml)
    {
        var invalid = Assert.Throws<ConfigException>(() => ServerConfigFile.Parse(yaml, "tessera.yaml"));
        return Assert.Single(invalid.Errors);
    }

    [Fact]
    public void An_unknown_key_names_its_path_and_line_and_the_nearest_key()
    {
        var error = SingleError("""
            server:
              port: 8080

            scheduling:
              paralel: 4
            """);
        Assert.Equal("scheduling.paralel", error.Key);
        Assert.Equal(5, error.Line);
        Assert.Equal("line 5: scheduling.paralel: unknown key; did you mean 'parallel'?", error.ToString());
    }

    [Fact]
    public void An_unknown_section_is_an_error_with_a_suggestion()
    {
        var error = SingleError("version: 1\nschedulng:\n  parallel: 2\n");
        Assert.Equal("schedulng", error.Key);
        Assert.Equal(2, error.Line);
        Assert.Contains("did you mean 'scheduling'?", error.Message);
    }

    [Fact]
    public void A_name_far_from_every_key_lists_the_known_keys()
    {
        var error = SingleError("cache:\n  something_else: true\n");
        Assert.Equal("cache.something_else", error.Key);
        Assert.Contains("known: prefix_cache", error.Message);
    }

    [Theory]
    [InlineData("scheduling:\n  parallel: four\n", "scheduling.parallel", 2, "'four' is not a whole number")]
    [InlineData("server:\n  host: 0.0.0.0\n  port: 70000\n", "server.port", 3, "must be in 0..65535, not 70000")]
    [InlineData("scheduling:\n  max_queue: -1\n", "scheduling.max_queue", 2, "must be at least 0, not -1")]
    [InlineData("cache:\n  prefix_cache: yes\n", "cache.prefix_cache", 2, "'yes' is not true or false")]
    [InlineData("memory:\n  budget: 8 apples\n", "memory.budget", 2, "is not a size")]
    [InlineData("memory:\n  kv_cache_type: q4_0\n", "memory.kv_cache_type", 2, "'q4_0' is not f16, f32 or q8_0")]
    [InlineData("server:\n  cors_origins:\n    a: b\n", "server.cors_origins", 3, "expected a list of strings")]
    [InlineData("server:\n  request_timeout_seconds: 0\n", "server.request_timeout_seconds", 2, "must be over 0")]
    [InlineData("devices:\n  gpu_layers: many\n", "devices.gpu_layers", 2, "not a layer count or 'auto'")]
    [InlineData("devices:\n  override_tensor: [\"ffn_(=cpu\"]\n", "devices.override_tensor", 2, "not a valid regular expression")]
    [InlineData("model:\n  load_mode: mmap\n", "model.load_mode", 2, "'mmap' is not map, copy or read")]
    [InlineData("alerts:\n  error_rate: 2\n", "alerts.error_rate", 2, "must be over 0 and at most 1, not 2")]
    [InlineData("alerts:\n  memory_growth_samples: 0\n", "alerts.memory_growth_samples", 2, "must be in 1..100, not 0")]
    [InlineData("scheduling:\n  hot_experts: many\n", "scheduling.hot_experts", 2, "'many' is not a whole number or auto")]
    [InlineData("memory:\n  expert_memory_limit: lots\n", "memory.expert_memory_limit", 2, "is not a size")]
    [InlineData("devices:\n  moe_device: \":2G\"\n", "devices.moe_device", 2, "names no device")]
    public void A_bad_value_names_its_key_and_line(string yaml, string key, int line, string message)
    {
        var error = SingleError(yaml);
        Assert.Equal(key, error.Key);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Values_that_do_not_fit_together_are_named_by_the_key_ServerOptions_Validate_blames()
    {
        var error = SingleError("memory:\n  batch_size: 64\nscheduling:\n  parallel: 4\n  step_token_budget: 128\n");
        Assert.Equal("scheduling.step_token_budget", error.Key);
        Assert.Equal(5, error.Line);
        Assert.StartsWith("the step token budget must be in 0..64", error.Message);
        Assert.DoesNotContain("Parameter", error.Message);
    }

    [Fact]
    public void A_host_that_is_not_an_address_is_an_error_of_server_host()
    {
        var error = SingleError("server:\n  host: example.com\n");
        Assert.Equal("server.host", error.Key);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Every_error_of_a_file_is_reported_at_once_in_file_order()
    {
        var invalid = Assert.Throws<ConfigException>(() => ServerConfigFile.Parse("server:\n  prot: 1\nscheduling:\n  parallel: x\n  threads: -2\n", "f.yaml"));
        Assert.Equal([("server.prot", 2), ("scheduling.parallel", 4), ("scheduling.threads", 5)], invalid.Errors.Select(e => (e.Key!, e.Line)));
        Assert.StartsWith("f.yaml: 3 errors:", invalid.Message);
    }

    [Fact]
    public void A_syntax_error_names_its_line()
    {
        var error = SingleError("server:\n  port: 8080\n host: 127.0.0.1\nmemory:\n  budget: 1G\n");
        Assert.Null(error.Key);
        Assert.Equal(3, error.Line);
        Assert.DoesNotContain("(Line:", error.Message);
    }

    [Fact]
    public void A_list_left_open_at_the_end_is_a_syntax_error()
    {
        var error = SingleError("server:\n  port: 8080\n  host: [unclosed\nmemory:\n  budget: 1G\n");
        Assert.Null(error.Key);
        Assert.Equal(5, error.Line);
        Assert.Contains("unclosed", error.Message);
    }

    [Fact]
    public void A_repeated_key_is_an_error()
    {
        var invalid = Assert.Throws<ConfigException>(() => ServerConfigFile.Parse("server:\n  port: 1\n  port: 2\n", "f.yaml"));
        Assert.Contains(invalid.Errors, error => error.Line == 3);
    }

    [Fact]
    public void A_later_format_version_is_refused()
    {
        var error = SingleError("version: 2\n");
        Assert.Equal("version", error.Key);
        Assert.Contains("version 1", error.Message);
    }

    [Fact]
    public void An_empty_file_and_empty_values_keep_the_defaults()
    {
        Assert.Empty(ServerConfigFile.Parse("", "empty.yaml").Entries);
        var config = ServerConfigFile.Parse("# nothing set\nserver:\n  port:\n  host: ~\nmemory:\n", "f.yaml");
        Assert.Empty(config.Entries);
        var options = config.ApplyTo(new ServerOptions { ModelPath = "m.gguf" });
        Assert.Equal(ServerOptions.DefaultPort, options.Port);
        Assert.Equal(ServerOptions.DefaultHost, options.Host);
    }

    [Fact]
    public void A_full_file_maps_onto_every_ServerOptions_property()
    {
        var config = ServerConfigFile.Parse("""
            version: 1
            model:
              path: /models/a.gguf
              id: alpha
              models: [/models/b.gguf, /models/c.gguf]
              models_dir: /models/more
              max_models: 2
              load_mode: copy
            server:
              host: 0.0.0.0
              port: 9000
              api_key: secret
              cors_origins: [http://localhost:3000]
              request_timeout_seconds: 90
            memory:
              budget: 1.5G
              expert_memory_limit: 512M
              kv_page_size: 16
              kv_cache_tokens: 8192
              kv_cache_type: f32
              context_size: 2048
              batch_size: 256
            scheduling:
              parallel: 8
              max_queue: 32
              step_token_budget: 128
              threads: 2
              moe_schedule: off
              hot_experts: 6
            cache:
              prefix_cache: false
            devices:
              device: opencl
              gpu_layers: 12
              override_tensor: ["ffn_.*_exps=cpu"]
              moe_device: opencl:1G
            alerts:
              interval_seconds: 5
              memory_growth: 0.2
              memory_growth_samples: 4
              kv_fragmentation: 0.4
              p95_latency_seconds: 12.5
              error_rate: 0.01
              device_utilisation: 0.9
              queue_time_seconds: 3
            """, "full.yaml");
        var options = config.ApplyTo(new ServerOptions { ModelPath = "unused" });

        Assert.Equal("/models/a.gguf", options.ModelPath);
        Assert.Equal("alpha", options.ModelId);
        Assert.Equal([new ModelSource("b", "/models/b.gguf"), new ModelSource("c", "/models/c.gguf")], options.AdditionalModels);
        Assert.True(config.TryGet(ConfigKeys.ModelsDir, out var folder));
        Assert.Equal("/models/more", folder);
        Assert.Equal(2, options.MaxLoadedModels);
        Assert.Equal(GgufLoadMode.Copy, options.LoadMode);
        Assert.Equal("0.0.0.0", options.Host);
        Assert.Equal(9000, options.Port);
        Assert.Equal("secret", options.ApiKey);
        Assert.Equal(["http://localhost:3000"], options.CorsOrigins);
        Assert.Equal(TimeSpan.FromSeconds(90), options.RequestTimeout);
        Assert.Equal(3L << 29, options.MemoryBudgetBytes);
        Assert.Equal(16, options.KvPageSize);
        Assert.Equal(8192, options.KvCacheTokens);
        Assert.Equal(GgmlType.F32, options.KvCacheType);
        Assert.Equal(2048, options.ContextSize);
        Assert.Equal(256, options.BatchSize);
        Assert.Equal(8, options.Parallel);
        Assert.Equal(32, options.MaxQueue);
        Assert.Equal(128, options.StepTokenBudget);
        Assert.Equal(2, options.Threads);
        Assert.Equal(MoeSchedule.Off, options.MoeSchedule);
        Assert.Equal(new Runtime.Experts.ExpertTierOptions { MemoryLimit = 512L << 20, HotExperts = 6 }, options.ExpertTier);
        Assert.False(options.PrefixCache);
        Assert.Equal("opencl", options.Placement!.Device);
        Assert.Equal(12, options.Placement.GpuLayers);
        Assert.Equal("ffn_.*_exps=cpu", Assert.Single(options.Placement.Overrides).ToString());
        Assert.Equal(new Runtime.Experts.ExpertDeviceOptions { Device = "opencl", MemoryBytes = 1L << 30 }, options.ExpertDevice);
        Assert.Equal(new AlertThresholds
        {
            IntervalSeconds = 5, MemoryGrowth = 0.2, MemoryGrowthSamples = 4, KvFragmentation = 0.4, P95LatencySeconds = 12.5,
            ErrorRate = 0.01, DeviceUtilisation = 0.9, QueueTimeSeconds = 3,
        }, options.Alerts);
        Assert.Equal(3, config.LineOf(ConfigKeys.ModelPath));
        Assert.Equal(0, ServerConfig.Empty.LineOf(ConfigKeys.ModelPath));
    }

    [Fact]
    public void The_example_file_in_the_docs_is_valid()
    {
        var config = ServerConfigFile.Load(Path.Combine(SharedData.RepoRoot, "docs", "tessera.example.yaml"));
        Assert.True(config.Sets(ConfigKeys.Parallel));
        Assert.Equal(1L << 33, config.ApplyTo(new ServerOptions { ModelPath = "m" }).MemoryBudgetBytes);
    }

    [Fact]
    public void The_degradation_section_sets_the_load_shedding_policy_and_a_bad_value_names_its_key()
    {
        var config = ServerConfigFile.Parse("model:\n  models: [small.gguf]\ndegradation:\n  enabled: true\n  queue_seconds_high: 1.5\n  interval_seconds: 0.5\n  fallback_model: small\n", "f.yaml");
        var policy = config.ApplyTo(new ServerOptions { ModelPath = "m" }).Degradation;
        Assert.True(policy.Enabled);
        Assert.Equal(1.5, policy.QueueSecondsHigh);
        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.Interval);
        Assert.Equal("small", policy.FallbackModel);
        Assert.Equal(2, policy.SamplesUp);   // not set: the default

        var error = SingleError("degradation:\n  samples_up: 0\n");
        Assert.Equal("degradation.samples_up", error.Key);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Near_misses_are_suggested_and_far_ones_are_not()
    {
        Assert.Equal(1, NearestName.Distance("paralel", "parallel"));
        Assert.Equal("max_queue", NearestName.Find("max_qeue", ["parallel", "max_queue"]));
        Assert.Null(NearestName.Find("colour", ["parallel", "max_queue"]));
    }
}
