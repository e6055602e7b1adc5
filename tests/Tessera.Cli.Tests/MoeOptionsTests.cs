using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`--moe-schedule`, `bench --moe-stats`, and the expert tier's `--mem-limit` and `--hot-experts`.</summary>
public sealed class MoeOptionsTests
{
    private static readonly string Moe = SharedData.Model("syn-qwen3moe-Q8_0.gguf");

    [Fact]
    public void Both_schedules_generate_the_same_text()
    {
        var auto = CliRunner.Run("run", Moe, "-p", "Once upon a time", "--temp", "0", "-n", "12", "--device", "cpu", "--moe-schedule", "auto");
        var off = CliRunner.Run("run", Moe, "-p", "Once upon a time", "--temp", "0", "-n", "12", "--device", "cpu", "--moe-schedule", "off");
        Assert.True(auto.ExitCode == 0, auto.Error);
        Assert.True(off.ExitCode == 0, off.Error);
        Assert.Equal(off.Out, auto.Out);
    }

    [Fact]
    public void Bench_moe_stats_prints_a_row_per_layer()
    {
        var result = CliRunner.Run("bench", Moe, "-p", "16", "-n", "4", "-r", "1", "-t", "1", "--device", "cpu", "--moe-stats");
        Assert.True(result.ExitCode == 0, result.Error);
        var rows = result.Out.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\|\s+\d+ \|")).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row => Assert.Matches(@"\d+:\d+\.\d%", row));
        Assert.Contains("/ 4.00", rows[0]);   // 16 experts: at most 4 bits
    }

    [Theory]
    [InlineData("run", "--moe-schedule", "fast", "is not auto or off")]
    [InlineData("bench", "--moe-stats", null, "the model has no experts")]
    public void Bad_moe_options_are_clear_errors(string command, string option, string? value, string message)
    {
        string[] args = command == "run"
            ? ["run", SharedData.Model("stories260K.gguf"), "-p", "x", "-n", "1", option, value!]
            : ["bench", SharedData.Model("stories260K.gguf"), "-p", "4", "-n", "2", "-r", "1", option];
        var result = CliRunner.Run(args);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public void A_memory_limit_below_the_experts_keeps_the_text_and_reports_the_tier()
    {
        // A copy of the model, so the statistics file lands beside it (the shared folder is read-only).
        using var folder = new TempFolder();
        string model = Path.Combine(folder.Path, "moe.gguf");
        File.Copy(Moe, model);
        string[] run = ["run", model, "-p", "Once upon a time", "--temp", "0", "-n", "12", "--device", "cpu"];
        var plain = CliRunner.Run(run);
        var tiered = CliRunner.Run([.. run, "--hot-experts", "5", "-v"]);
        Assert.True(tiered.ExitCode == 0, tiered.Error);
        Assert.Equal(plain.Out, tiered.Out);
        Assert.Contains("expert tier: 5 of 16 experts per layer resident", tiered.Error);
        Assert.Contains("placement from no statistics yet", tiered.Error);
        Assert.Matches(@"choices \d+: \d+ resident, \d+ read ahead, \d+ missed", tiered.Error);
        Assert.True(File.Exists(model + ".experts.json"), "no statistics file beside the model");
        var again = CliRunner.Run([.. run, "--hot-experts", "5", "-v"]);
        Assert.Contains($"placement from {model}.experts.json", again.Error);
        Assert.Equal(plain.Out, again.Out);
    }

    [Theory]
    [InlineData("--hot-experts", "17", "is more than the model's 16 experts")]
    [InlineData("--hot-experts", "many", "is not a count of experts or 'auto'")]
    [InlineData("--mem-limit", "1M", "is too small: the dense weights take")]
    [InlineData("--mem-limit", "lots", "is not a size")]
    [InlineData("--moe-device", "gpu7", "--moe-device gpu7: no such accelerator")]
    [InlineData("--moe-device", "opencl:lots", "'lots' is not a size")]
    public void Bad_tier_options_are_clear_errors(string option, string value, string message)
    {
        var result = CliRunner.Run("run", Moe, "-p", "x", "-n", "1", "--device", "cpu", option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void Tier_options_on_a_dense_model_are_ignored_with_a_warning()
    {
        var result = CliRunner.Run("run", SharedData.Model("stories260K.gguf"), "-p", "x", "-n", "1", "--device", "cpu", "--hot-experts", "2");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("the model has no experts; ignored", result.Error);
    }

    [OpenClFact]
    public void Hot_experts_on_the_opencl_device_keep_the_text_and_are_reported()
    {
        using var folder = new TempFolder();
        string model = Path.Combine(folder.Path, "moe.gguf");
        File.Copy(Moe, model);
        string[] run = ["run", model, "-p", "Once upon a time", "--temp", "0", "-n", "12"];
        var plain = CliRunner.Run([.. run, "--device", "cpu"]);
        var split = CliRunner.Run([.. run, "--moe-device", "opencl:3M", "-v"]);
        Assert.True(split.ExitCode == 0, split.Error);
        Assert.Equal(plain.Out, split.Out);
        Assert.Contains("per layer copied to opencl (budget 3.00 MiB), the rest on the CPU", split.Error);
        // The copies are made by a background thread, so how many bytes of them exist when the run ends varies with
        // timing (none yet, KiB or MiB): the line must report them in whatever unit.
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(split.Error,
            @"hot experts on opencl: \d+ per layer, [0-9.]+ (B|KiB|MiB) of copies; choices \d+: \d+ on opencl, \d+ on the CPU"), split.Error);
    }
}
