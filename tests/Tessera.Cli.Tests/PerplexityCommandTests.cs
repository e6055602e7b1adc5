using System.Globalization;
using System.Text.RegularExpressions;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera perplexity` on every shared model against the reference run (`M.ppl.txt`: ctx 128, 8 chunks, F16 KV cache).</summary>
public sealed partial class PerplexityCommandTests
{
    /// <summary>Every model in the shared folder: each has a reference run.</summary>
    public static TheoryData<string> SharedModels => new(Directory.GetFiles(SharedData.Models, "*.gguf").Select(Path.GetFileName).Order()!);

    /// <summary>Relative agreement required with the reference perplexity.</summary>
    private const double Tolerance = 0.005;

    [Theory]
    [MemberData(nameof(SharedModels))]
    public void Matches_the_reference_perplexity(string model)
    {
        string reference = File.ReadAllText(Path.Combine(SharedData.Refs, Path.GetFileNameWithoutExtension(model) + ".ppl.txt"));
        double expected = double.Parse(ReferencePpl().Match(reference).Groups[1].Value, CultureInfo.InvariantCulture);

        var result = CliRunner.Run("perplexity", SharedData.Model(model), "-f", Path.Combine(SharedData.Refs, "text", "sample.txt"),
            "-c", "128", "--chunks", "8", "-t", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Out.TrimEnd().Split('\n');
        Assert.Equal(9, lines.Length);
        var final = FinalLine().Match(lines[^1]);
        Assert.True(final.Success, lines[^1]);
        double actual = double.Parse(final.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(actual, expected * (1 - Tolerance), expected * (1 + Tolerance));
        Assert.StartsWith("[8]", lines[^2]);
    }

    [Fact]
    public void A_BF16_copy_of_stories260K_lands_on_the_reference_perplexity()
    {
        // BF16 weights on the prompt path: vdpbf16ps over activations rounded to BF16 where the CPU has AVX512-BF16,
        // the float tile elsewhere. Rounding the weights (and activations) moves the F32 model's perplexity by ~0.1%.
        string reference = File.ReadAllText(Path.Combine(SharedData.Refs, "stories260K.ppl.txt"));
        double expected = double.Parse(ReferencePpl().Match(reference).Groups[1].Value, CultureInfo.InvariantCulture);
        using var model = new TempFile(".gguf");
        Assert.Equal(0, CliRunner.Run("quantize", SharedData.Model("stories260K.gguf"), model.Path, "BF16").ExitCode);

        var result = CliRunner.Run("perplexity", model.Path, "-f", Path.Combine(SharedData.Refs, "text", "sample.txt"), "-c", "128", "--chunks", "8", "-t", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        var final = FinalLine().Match(result.Out.TrimEnd().Split('\n')[^1]);
        Assert.True(final.Success, result.Out);
        Assert.InRange(double.Parse(final.Groups[1].Value, CultureInfo.InvariantCulture), expected * (1 - Tolerance), expected * (1 + Tolerance));
    }

    [Fact]
    public void Text_shorter_than_one_chunk_is_an_error()
    {
        using var text = new TempFile(".txt");
        File.WriteAllText(text.Path, "Too short.");
        var result = CliRunner.Run("perplexity", SharedData.Model("stories260K.gguf"), "-f", text.Path, "-c", "128");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("fewer than one chunk", result.Error);
        Assert.Equal("", result.Out);
    }

    [GeneratedRegex(@"final_estimate: PPL = ([0-9.]+)")]
    private static partial Regex ReferencePpl();

    [GeneratedRegex(@"^Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)$")]
    private static partial Regex FinalLine();
}
