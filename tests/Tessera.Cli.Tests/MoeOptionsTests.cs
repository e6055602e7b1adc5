using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`--moe-schedule` and `bench --moe-stats`.</summary>
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
}
