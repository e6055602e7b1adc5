using System.Text.Json;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

public sealed class RunCommandTests
{
    private static readonly string Stories = SharedData.Model("stories260K.gguf");

    [Fact]
    public void Greedy_run_prints_only_the_reference_continuation()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SharedData.Refs, "stories260K.ref.json")));
        var greedy = json.RootElement.GetProperty("greedy")[0];
        var result = CliRunner.Run("run", Stories, "-p", greedy.GetProperty("prompt").GetString()!, "--temp", "0", "-n", "32");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(greedy.GetProperty("generated_text").GetString(), result.Out.TrimEnd('\n'));
        Assert.Contains("tokens/s", result.Error);
    }

    [Fact]
    public void Mapped_and_copied_models_generate_the_same_text()
    {
        var mapped = CliRunner.Run("run", Stories, "-p", "Once upon a time", "--temp", "0", "-n", "24");
        var copied = CliRunner.Run("run", Stories, "-p", "Once upon a time", "--temp", "0", "-n", "24", "--no-mmap");
        Assert.True(mapped.ExitCode == 0, mapped.Error);
        Assert.True(copied.ExitCode == 0, copied.Error);
        Assert.Equal(mapped.Out, copied.Out);
    }

    [Fact]
    public void Interactive_turns_continue_the_conversation_in_the_kv_cache()
    {
        var chat = CliRunner.RunWithInput("Once upon a time\nLily went\n", "run", Stories, "--temp", "0", "-n", "16");
        Assert.True(chat.ExitCode == 0, chat.Error);
        var turns = chat.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, turns.Length);
        // The first turn is exactly a one-shot run of the same prompt.
        var first = CliRunner.Run("run", Stories, "-p", "Once upon a time", "--temp", "0", "-n", "16");
        Assert.Equal(first.Out.TrimEnd('\n'), turns[0]);
        Assert.Contains("tokens/s", chat.Error);

        // The second turn lands in the same context: with 24 positions the first turn (prompt + 16 tokens) leaves too
        // few for a nine-token line, which a fresh context would hold easily.
        var full = CliRunner.RunWithInput("Once upon a time\nLily went to the park with her mom\n", "run", Stories, "--temp", "0", "-n", "16", "--ctx", "24");
        Assert.Equal(1, full.ExitCode);
        Assert.Contains("of the 24-token context are free", full.Error);
        Assert.StartsWith(turns[0], full.Out);
        var fresh = CliRunner.Run("run", Stories, "-p", "Lily went to the park with her mom", "--temp", "0", "-n", "8", "--ctx", "24");
        Assert.True(fresh.ExitCode == 0, fresh.Error);
    }

    [Fact]
    public void Same_seed_same_text()
    {
        var a = CliRunner.Run("run", Stories, "-p", "One day", "-n", "20", "--seed", "3");
        var b = CliRunner.Run("run", Stories, "-p", "One day", "-n", "20", "--seed", "3");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Out, b.Out);
    }

    [Fact]
    public void Prompt_longer_than_the_context_is_one_line_error()
    {
        var result = CliRunner.Run("run", Stories, "-p", "Once upon a time there was a little girl named Lily", "--ctx", "4", "--temp", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("context", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public void Missing_model_is_one_line_error()
    {
        var result = CliRunner.Run("run", Path.Combine(SharedData.Models, "no-such-model.gguf"), "-p", "hi");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no such file", result.Error);
    }

    [Fact]
    public void Bench_json_has_one_object_per_test()
    {
        var result = CliRunner.Run("bench", Stories, "-p", "32", "-n", "8", "-r", "2", "-t", "2", "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Out);
        var tests = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["pp32", "tg8"], tests.Select(t => t.GetProperty("test").GetString()));
        Assert.All(tests, t => Assert.True(t.GetProperty("tokens_per_second").GetDouble() > 0));
        Assert.Equal(32, tests[0].GetProperty("n_prompt").GetInt32());
        Assert.Equal(8, tests[1].GetProperty("n_gen").GetInt32());
        Assert.Equal(2, tests[0].GetProperty("threads").GetInt32());
        Assert.Equal("F32", tests[0].GetProperty("model_type").GetString());
    }

    [Fact]
    public void Bench_at_a_depth_runs_after_that_many_tokens_and_says_so()
    {
        var result = CliRunner.Run("bench", Stories, "-p", "8", "-n", "4", "-d", "40", "-r", "1", "-t", "1", "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Out);
        var tests = json.RootElement.EnumerateArray().ToArray();
        Assert.Equal(["pp8 @ d40", "tg4 @ d40"], tests.Select(t => t.GetProperty("test").GetString()));
        Assert.All(tests, t => Assert.Equal(40, t.GetProperty("n_depth").GetInt32()));
        Assert.All(tests, t => Assert.True(t.GetProperty("tokens_per_second").GetDouble() > 0));

        var negative = CliRunner.Run("bench", Stories, "-p", "8", "-n", "0", "-d", "-3", "-r", "1");
        Assert.Equal(1, negative.ExitCode);
        Assert.Contains("-d -3 must not be negative", negative.Error);
    }

    [Fact]
    public void Bench_with_bandwidth_sets_generation_against_the_read_rate_measured_around_it()
    {
        var result = CliRunner.Run("bench", Stories, "-p", "8", "-n", "8", "-r", "2", "-t", "2", "--json", "--bandwidth");
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Out);
        var tests = json.RootElement.EnumerateArray().ToArray();
        Assert.False(tests[0].TryGetProperty("bandwidth_share", out _), "a prompt test has no bandwidth figures");
        var generation = tests[1];
        using (var model = Models.ModelLoader.Load(Stories))
            Assert.Equal(model.DecodeWeightBytes, generation.GetProperty("weight_bytes_per_token").GetInt64());
        double read = generation.GetProperty("read_bytes_per_second").GetDouble();
        double share = generation.GetProperty("bandwidth_share").GetDouble();
        Assert.True(read > 1e8 && double.IsFinite(read), $"read rate {read}");
        Assert.True(share > 0 && double.IsFinite(share), $"share {share}");

        var table = CliRunner.Run("bench", Stories, "-p", "0", "-n", "4", "-r", "1", "-t", "1", "--bandwidth");
        Assert.True(table.ExitCode == 0, table.Error);
        Assert.Contains("memory bandwidth: tg4 reads", table.Out);
        Assert.Contains("of the machine's read rate", table.Out);

        var noGeneration = CliRunner.Run("bench", Stories, "-p", "8", "-n", "0", "-r", "1", "--bandwidth");
        Assert.Equal(1, noGeneration.ExitCode);
        Assert.Contains("--bandwidth measures generation", noGeneration.Error);
    }

    [Fact]
    public void Bench_table_has_pp_and_tg_rows()
    {
        var result = CliRunner.Run("bench", Stories, "-p", "16", "-n", "4", "-r", "1", "-t", "1");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("pp16", result.Out);
        Assert.Contains("tg4", result.Out);
        Assert.Contains("peak RSS", result.Out);
    }

    [Fact]
    public void Bench_says_how_much_of_a_mapped_model_is_in_2_MiB_pages()
    {
        string model = SharedData.Model("syn-llama-Q4_0.gguf");
        var mapped = CliRunner.Run("bench", model, "-p", "0", "-n", "2", "-r", "1", "-t", "1");
        Assert.True(mapped.ExitCode == 0, mapped.Error);
        if (OperatingSystem.IsLinux())
            Assert.Matches(@"weights in 2 MiB pages: \d+ of 6 MiB", mapped.Out);
        var copied = CliRunner.Run("bench", model, "-p", "0", "-n", "2", "-r", "1", "-t", "1", "--no-mmap");
        Assert.True(copied.ExitCode == 0, copied.Error);
        Assert.DoesNotContain("weights in 2 MiB pages", copied.Out);
    }

    [Fact]
    public void Bench_with_a_json_schema_adds_sampled_runs_without_and_with_it()
    {
        using var folder = new Testing.TempFolder();
        string schema = Path.Combine(folder.Path, "schema.json");
        File.WriteAllText(schema, """{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}""");
        var result = CliRunner.Run("bench", Stories, "-p", "0", "-n", "12", "-r", "1", "-t", "1", "--json", "--json-schema", schema);
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(["tg12", "tg12+sample", "tg12+schema"], json.RootElement.EnumerateArray().Select(t => t.GetProperty("test").GetString()));

        File.WriteAllText(schema, """{"type":"string","pattern":"a+"}""");
        var bad = CliRunner.Run("bench", Stories, "-p", "0", "-n", "4", "-r", "1", "--json-schema", schema);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("'pattern' is not supported", bad.Error);
    }
}
