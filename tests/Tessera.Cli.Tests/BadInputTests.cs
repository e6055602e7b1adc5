using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>Every user mistake: one clear line on stderr, exit code 1, no stack trace unless --verbose.</summary>
public class BadInputTests
{
    private static void AssertOneLineError(CliResult result, string expectedFragment)
    {
        Assert.Equal(1, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("tessera: error: ", lines[0]);
        Assert.Contains(expectedFragment, lines[0]);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void Missing_file() =>
        AssertOneLineError(CliRunner.Run("info", "no-such-model.gguf"), "no such file");

    [Fact]
    public void Directory_instead_of_file() =>
        AssertOneLineError(CliRunner.Run("info", SharedData.Models), "is a directory");

    [Fact]
    public void Non_gguf_file()
    {
        using var temp = new TempFile(".txt");
        File.WriteAllText(temp.Path, "this is not a model, just some text that is long enough to be read");
        AssertOneLineError(CliRunner.Run("info", temp.Path), "magic");
    }

    [Fact]
    public void Truncated_gguf_file()
    {
        using var temp = new TempFile();
        File.WriteAllBytes(temp.Path, File.ReadAllBytes(SharedData.Model("stories260K.gguf")).AsSpan(0, 1000).ToArray());
        var result = CliRunner.Run("info", temp.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("tessera: error: ", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void Unsupported_quantization_type()
    {
        using var output = new TempFile();
        AssertOneLineError(CliRunner.Run("quantize", SharedData.Model("stories260K.gguf"), output.Path, "Q9_X"), "unsupported quantization type 'Q9_X'");
        Assert.False(File.Exists(output.Path));
    }

    [Fact]
    public void Quantizing_an_already_quantized_model_is_refused()
    {
        using var output = new TempFile();
        AssertOneLineError(CliRunner.Run("quantize", SharedData.Model("syn-llama-Q4_0.gguf"), output.Path, "Q8_0"), "needs F32, F16 or BF16 input");
        Assert.False(File.Exists(output.Path));
        Assert.False(File.Exists(output.Path + ".partial"));
    }

    [Fact]
    public void Unknown_synth_preset()
    {
        using var output = new TempFile();
        AssertOneLineError(CliRunner.Run("synth", "--preset", "gpt-5", "--vocab", SharedData.Model("stories260K.gguf"), output.Path), "unknown preset 'gpt-5'");
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var result = CliRunner.Run("info", "no-such-model.gguf", "--verbose");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("   at ", result.Error);
    }

    [Fact]
    public void Unknown_command_is_a_usage_error()
    {
        var result = CliRunner.Run("frobnicate");
        Assert.NotEqual(0, result.ExitCode);
    }
}
