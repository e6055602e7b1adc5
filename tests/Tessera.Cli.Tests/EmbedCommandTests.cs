using System.Globalization;
using System.Text.Json;
using Tessera.Runtime.Embeddings;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

public class EmbedCommandTests
{
    [Fact]
    public void Embed_prints_one_json_array_per_text_equal_to_the_embedder()
    {
        var result = CliRunner.Run("embed", SynthModels.BertMini, "hello world", "a second, longer text", "--threads", "1");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var embedder = Embedder.Open(SynthModels.BertMini, new EmbedderOptions { Threads = 1 });
        var expected = embedder.Embed(["hello world", "a second, longer text"]).Embeddings;
        for (int i = 0; i < 2; i++)
        {
            var vector = JsonSerializer.Deserialize<float[]>(lines[i])!;
            Assert.Equal(expected[i], vector);
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(x => (double)x * x)), 5);
        }
    }

    [Fact]
    public void Plain_format_and_decoder_models_work()
    {
        var result = CliRunner.Run("embed", SharedData.Model("stories260K.gguf"), "Once upon a time", "--format", "plain", "--pooling", "mean");
        Assert.Equal(0, result.ExitCode);
        var values = result.Out.Trim().Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(64, values.Length);
        Assert.Equal(1.0, Math.Sqrt(values.Sum(x => (double)x * x)), 5);
    }

    [Fact]
    public void Bad_input_is_one_line_on_stderr()
    {
        var tooLong = CliRunner.Run("embed", SynthModels.BertMini, "fine", string.Join(' ', Enumerable.Repeat("word", 600)));
        Assert.Equal(1, tooLong.ExitCode);
        Assert.Contains("text 2", tooLong.Error);
        Assert.Contains("at most 512", tooLong.Error);
        var missing = CliRunner.Run("embed", "/nonexistent/model.gguf", "x");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no such file", missing.Error);
        Assert.NotEqual(0, CliRunner.Run("embed", SynthModels.BertMini, "x", "--format", "xml").ExitCode);
        Assert.NotEqual(0, CliRunner.Run("embed", SynthModels.BertMini).ExitCode);
    }
}
