using System.Text.Json;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

public class InfoCommandTests
{
    public static TheoryData<string> AllSharedGgufFiles()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { SharedData.Models, SharedData.TokenizerVectors })
            foreach (var file in Directory.GetFiles(dir, "*.gguf").Order())
                data.Add(file);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllSharedGgufFiles))]
    public void Info_summarises_every_shared_file(string path)
    {
        var result = CliRunner.Run("info", path, "--tensors");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        Assert.Contains("tokenizer.ggml.model", result.Out);
        Assert.Contains("vocabulary", result.Out);
    }

    [Theory]
    [MemberData(nameof(AllSharedGgufFiles))]
    public void Info_json_agrees_with_the_file(string path)
    {
        var result = CliRunner.Run("info", path, "--json", "--tensors");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        var tensors = root.GetProperty("tensors").EnumerateArray().ToArray();
        Assert.Equal(root.GetProperty("tensor_count").GetInt32(), tensors.Length);
        long parameters = tensors.Sum(t => t.GetProperty("shape").EnumerateArray().Aggregate(1L, (a, d) => a * d.GetInt64()));
        Assert.Equal(parameters, root.GetProperty("parameters").GetInt64());
        long bytes = tensors.Sum(t => t.GetProperty("bytes").GetInt64());
        Assert.Equal(bytes, root.GetProperty("types").EnumerateArray().Sum(t => t.GetProperty("bytes").GetInt64()));
        Assert.True(root.GetProperty("vocab_size").GetInt32() > 0);
    }

    [Fact]
    public void Info_reports_the_known_facts_of_stories260K()
    {
        var result = CliRunner.Run("info", SharedData.Model("stories260K.gguf"), "--json");
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal("llama", root.GetProperty("architecture").GetString());
        Assert.Equal(5, root.GetProperty("block_count").GetInt32());
        Assert.Equal(64, root.GetProperty("embedding_length").GetInt32());
        Assert.Equal(8, root.GetProperty("head_count").GetInt32());
        Assert.Equal(4, root.GetProperty("head_count_kv").GetInt32());
        Assert.Equal(2048, root.GetProperty("context_length").GetInt32());
        Assert.Equal(512, root.GetProperty("vocab_size").GetInt32());
        Assert.Equal("llama", root.GetProperty("tokenizer_model").GetString());
        Assert.False(root.GetProperty("has_chat_template").GetBoolean());
        Assert.Equal("F32", Assert.Single(root.GetProperty("types").EnumerateArray()).GetProperty("type").GetString());
    }

    [Fact]
    public void Info_shows_the_chat_template_and_type_mix_of_qwen3()
    {
        var result = CliRunner.Run("info", SharedData.Model("syn-qwen3-Q4_0.gguf"), "--json");
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal("qwen3", root.GetProperty("architecture").GetString());
        Assert.True(root.GetProperty("has_chat_template").GetBoolean());
        Assert.Equal(151936, root.GetProperty("vocab_size").GetInt32());
        var types = root.GetProperty("types").EnumerateArray().Select(t => t.GetProperty("type").GetString()).ToArray();
        Assert.Contains("Q4_0", types);
        Assert.Contains("F32", types);
    }
}
