using System.Text.Json;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

/// <summary>`tessera devices`, the placement options of `run`, and a device failure rehearsed with `TESSERA_FAULT`
/// through the real executable.</summary>
public sealed class DevicesCommandTests
{
    private static readonly string Stories = SharedData.Model("stories260K.gguf");

    [Fact]
    public void Devices_lists_the_cpu_with_memory_types_and_measured_speeds()
    {
        var result = CliRunner.Run("devices", "--json", "-t", "1");
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = JsonDocument.Parse(result.Out);
        var cpu = json.RootElement.GetProperty("devices")[0];
        Assert.Equal("cpu", cpu.GetProperty("name").GetString());
        Assert.True(cpu.GetProperty("memory_total").GetInt64() > 0);
        Assert.Contains("Q4_K", cpu.GetProperty("weight_types").EnumerateArray().Select(t => t.GetString()));
        Assert.True(cpu.GetProperty("matvec_gb_per_second").GetProperty("Q4_0").GetDouble() > 0);
        Assert.True(cpu.GetProperty("operation_microseconds").GetDouble() > 0);
    }

    [OpenClFact]
    public void Devices_lists_the_opencl_device_with_its_native_types()
    {
        var result = CliRunner.Run("devices", "-t", "1");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("opencl (", result.Out);
        Assert.Contains("F32 F16 Q8_0 Q4_0 Q4_K Q6_K", result.Out);
    }

    [Fact]
    public void An_unknown_device_is_one_clear_error()
    {
        var result = CliRunner.Run("run", Stories, "-p", "Once", "-n", "2", "--device", "cuda");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown device 'cuda'", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--gpu-layers", "many", "is not a layer count")]
    [InlineData("--gpu-layers", "-3", "is not a layer count")]
    [InlineData("--override-tensor", "ffn_(=cpu", "not a valid regular expression")]
    [InlineData("--override-tensor", "ffn=npu", "unknown device 'npu'")]
    public void Bad_placement_options_are_clear_errors(string option, string value, string message)
    {
        var result = CliRunner.Run("run", Stories, "-p", "Once", "-n", "2", option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    [Fact]
    public void Verbose_prints_the_plan()
    {
        var result = CliRunner.Run("run", Stories, "-p", "Once", "-n", "2", "--temp", "0", "--device", "cpu", "-v");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("placement (--device cpu): predicted", result.Error);
        Assert.Contains("cpu      layers 0-4, output head", result.Error);
    }

    [OpenClFact]
    public void Text_is_the_same_on_cpu_opencl_and_split()
    {
        string[] Run(params string[] placement) =>
            [CliRunner.Run(["run", Stories, "-p", "Once upon a time", "--temp", "0", "-n", "32", "-v", .. placement]) is var r && r.ExitCode == 0 ? r.Out : r.Error];
        var cpu = Run("--device", "cpu");
        Assert.Equal(cpu, Run("--device", "opencl"));
        Assert.Equal(cpu, Run("--device", "opencl", "--gpu-layers", "2"));
        Assert.Equal(cpu, Run("--device", "cpu", "--override-tensor", @"blk\.[012]\.=opencl"));
        var clamped = CliRunner.Run("run", Stories, "-p", "Once", "--temp", "0", "-n", "4", "--device", "opencl", "--gpu-layers", "40", "-v");
        Assert.True(clamped.ExitCode == 0, clamped.Error);
        Assert.Contains("--gpu-layers 40 is more than the model's 5 layers", clamped.Error);
    }

    [PoclFact]
    public void Auto_keeps_everything_on_the_cpu_when_pocl_is_slower_and_says_why()
    {
        // PoCL runs OpenCL on the same cores as our CPU kernels, several times slower: the plan must not use it.
        var result = CliRunner.Run("run", Stories, "-p", "Once", "--temp", "0", "-n", "2", "-v");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("placement (--device auto)", result.Error);
        Assert.Contains("cpu      layers 0-4, output head", result.Error);
        Assert.Contains("note: opencl is predicted slower", result.Error);
        Assert.Contains("everything stays on the CPU", result.Error);
    }

    [OpenClFact]
    public void A_fault_injected_at_step_5_falls_back_and_keeps_the_text()
    {
        var clean = Tessera(null, "run", Stories, "-p", "Once upon a time", "--temp", "0", "-n", "24", "--device", "opencl");
        var faulty = Tessera("opencl:step=5", "run", Stories, "-p", "Once upon a time", "--temp", "0", "-n", "24", "--device", "opencl");
        Assert.True(clean.ExitCode == 0, clean.Error);
        Assert.True(faulty.ExitCode == 0, faulty.Error);
        Assert.Equal(clean.Out, faulty.Out);
        var warnings = faulty.Error.Split('\n').Where(l => l.Contains("failed")).ToList();
        var line = Assert.Single(warnings);
        Assert.Contains("device opencl failed", line);
        Assert.Contains("injected fault at step 5", line);
        Assert.Contains("layers 0-4 and the output head moved to the CPU", line);
        Assert.DoesNotContain("failed", clean.Error);
    }

    /// <summary>Runs the built `tessera` executable with <paramref name="fault"/> as TESSERA_FAULT.</summary>
    private static CliResult Tessera(string? fault, params string[] args) =>
        CliRunner.RunExecutable(new Dictionary<string, string?> { ["TESSERA_FAULT"] = fault ?? "" }, args);
}
