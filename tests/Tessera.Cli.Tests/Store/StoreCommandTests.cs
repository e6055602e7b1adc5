using System.Text.Json;
using Tessera.Cli.Store;

namespace Tessera.Cli.Tests.Store;

/// <summary>`list`, `rm`, `show` and store names in place of paths, on models pulled from the fake hub.</summary>
public sealed class StoreCommandTests
{
    private static StoreFixture WithTwoModels()
    {
        var store = new StoreFixture();
        store.Hub.AddRepo("test/tiny", new HubRepoFile("tiny-Q8_0.gguf", StoreFixture.Qwen), new HubRepoFile("tiny-Q4_K_M.gguf", StoreFixture.Stories));
        Assert.Equal(0, CliRunner.Run("pull", "hf.co/test/tiny").ExitCode);
        Assert.Equal(0, CliRunner.Run("pull", "hf.co/test/tiny:Q8_0").ExitCode);
        return store;
    }

    [Fact]
    public void List_shows_each_model_with_quant_size_and_status()
    {
        using var store = WithTwoModels();
        var table = CliRunner.Run("list");
        Assert.True(table.ExitCode == 0, table.Error);
        Assert.Contains("test/tiny:Q4_K_M", table.Out);
        Assert.Contains("test/tiny:Q8_0", table.Out);
        Assert.Contains(Units.Bytes(StoreFixture.Qwen.Length), table.Out);

        using var json = JsonDocument.Parse(CliRunner.Run("list", "--json").Out);
        var models = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(["test/tiny:Q4_K_M", "test/tiny:Q8_0"], models.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal(StoreFixture.Stories.Length, models[0].GetProperty("size").GetInt64());
        Assert.All(models, m => Assert.True(m.GetProperty("complete").GetBoolean()));
    }

    [Fact]
    public void Show_and_info_print_the_same_summary_for_a_store_name()
    {
        using var store = WithTwoModels();
        var show = CliRunner.Run("show", "test/tiny:Q8_0", "--json");
        Assert.True(show.ExitCode == 0, show.Error);
        using var json = JsonDocument.Parse(show.Out);
        Assert.Equal("qwen2", json.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(show.Out, CliRunner.Run("info", "test/tiny:Q8_0", "--json").Out);
        Assert.Equal(show.Out, CliRunner.Run("info", "test--tiny--Q8_0", "--json").Out);
        Assert.Contains("architecture", CliRunner.Run("show", "tiny:q4_k_m").Out);
    }

    [Fact]
    public void Names_resolve_by_repo_when_unique_and_ambiguity_is_an_error()
    {
        using var store = WithTwoModels();
        var ambiguous = CliRunner.Run("run", "tiny", "-p", "Once", "-n", "2");
        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Contains("matches several models: test/tiny:Q4_K_M, test/tiny:Q8_0", ambiguous.Error);

        var removed = CliRunner.Run("rm", "-y", "test/tiny:Q8_0");
        Assert.True(removed.ExitCode == 0, removed.Error);
        Assert.Equal(["test--tiny--Q4_K_M"], store.Folders);

        var run = CliRunner.Run("run", "tiny", "-p", "Once", "-n", "4", "--temp", "0", "--device", "cpu");
        Assert.True(run.ExitCode == 0, run.Error);
        string text = Path.Combine(store.TempFolder, "text.txt");
        File.WriteAllText(text, "Once upon a time there was a little girl. She liked to play in the park with her friends.");
        var perplexity = CliRunner.Run("perplexity", "test/tiny", "--file", text, "--ctx", "8");
        Assert.True(perplexity.ExitCode == 0, perplexity.Error);
    }

    [Fact]
    public void Rm_asks_first_and_unknown_names_are_errors()
    {
        using var store = WithTwoModels();
        var declined = CliRunner.RunWithInput("n\n", "rm", "test/tiny:Q4_K_M");
        Assert.Equal(1, declined.ExitCode);
        Assert.Contains("[y/N]", declined.Error);
        Assert.Equal(2, store.Folders.Length);

        var confirmed = CliRunner.RunWithInput("y\n", "rm", "test/tiny:Q4_K_M");
        Assert.True(confirmed.ExitCode == 0, confirmed.Error);
        Assert.Equal(["test--tiny--Q8_0"], store.Folders);

        var unknown = CliRunner.Run("rm", "-y", "nobody/nothing:Q4_0");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("not in the store", unknown.Error);
    }

    [Theory]
    [InlineData("run", "someone/llama:Q4_0", "tessera pull hf.co/someone/llama:Q4_0")]
    [InlineData("info", "llama", "tessera pull hf.co/OWNER/llama")]
    [InlineData("show", "llama", "tessera pull hf.co/OWNER/llama")]
    [InlineData("bench", "llama", "tessera pull hf.co/OWNER/llama")]
    [InlineData("serve", "llama", "tessera pull hf.co/OWNER/llama")]
    [InlineData("run", "a/b/../../../etc", "not a valid model name")]
    [InlineData("show", "../models", "not a valid model name")]
    [InlineData("rm", "x\\y", "not a valid model name")]
    public void Unknown_or_unsafe_names_say_what_to_do(string command, string name, string message)
    {
        using var store = new StoreFixture();
        var result = CliRunner.Run(command, name);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public void A_half_written_model_is_listed_incomplete_and_never_loaded()
    {
        using var store = WithTwoModels();
        // A pull that stopped part-way: a partial file and no manifest.
        string half = store.FolderPath("someone--half--Q4_0");
        Directory.CreateDirectory(half);
        File.WriteAllBytes(Path.Combine(half, "half-Q4_0.gguf.partial"), StoreFixture.Stories[..1000]);
        // A manifest whose file has been truncated since.
        string folder = store.FolderPath("test--tiny--Q8_0");
        using (var file = File.OpenWrite(Path.Combine(folder, "tiny-Q8_0.gguf")))
            file.SetLength(1000);

        using var json = JsonDocument.Parse(CliRunner.Run("list", "--json").Out);
        var status = json.RootElement.EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("complete").GetBoolean());
        Assert.Equal(new Dictionary<string, bool> { ["someone/half:Q4_0"] = false, ["test/tiny:Q4_K_M"] = true, ["test/tiny:Q8_0"] = false }, status);
        Assert.Contains("incomplete", CliRunner.Run("list").Out);

        foreach (var name in new[] { "someone/half:Q4_0", "half", "test/tiny:Q8_0" })
        {
            var run = CliRunner.Run("run", name, "-p", "Once", "-n", "2");
            Assert.Equal(1, run.ExitCode);
            Assert.Contains("incomplete; run tessera pull again to finish it", run.Error);
            Assert.Contains("incomplete", CliRunner.Run("show", name).Error);
        }
        Assert.True(CliRunner.Run("rm", "-y", "half").ExitCode == 0);
        Assert.False(Directory.Exists(half));
    }

    [Fact]
    public void A_path_is_still_a_path()
    {
        using var store = WithTwoModels();
        string path = Path.Combine(store.FolderPath("test--tiny--Q4_K_M"), "tiny-Q4_K_M.gguf");
        var info = CliRunner.Run("info", path, "--json");
        Assert.True(info.ExitCode == 0, info.Error);
        var missing = CliRunner.Run("info", "no-such-model.gguf");
        Assert.Contains("no such file", missing.Error);
        var serve = CliRunner.Run("serve", "no-such-model.gguf", "--port", "0");
        Assert.Equal(1, serve.ExitCode);
        Assert.Contains("model file not found", serve.Error);
    }
}
