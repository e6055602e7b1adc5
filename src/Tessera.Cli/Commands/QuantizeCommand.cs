using System.CommandLine;
using System.Diagnostics;
using Tessera.Cli.Quantize;

namespace Tessera.Cli.Commands;

/// <summary>`tessera quantize IN.gguf OUT.gguf TYPE [--pure]`: convert a float model to a quantized one.</summary>
public static class QuantizeCommand
{
    public static Command Create(CommandOutput output)
    {
        var input = new Argument<string>("input") { Description = "F32/F16/BF16 GGUF model" };
        var outputPath = new Argument<string>("output") { Description = "Where to write the quantized model" };
        var type = new Argument<string>("type") { Description = "Target: " + string.Join(", ", QuantizationPreset.All.Select(p => p.Name)) };
        var pure = new Option<bool>("--pure") { Description = "Store every 2-D weight in the target type (no Q6_K output, no mix, no fallbacks beyond row fit)" };
        var command = new Command("quantize", "Quantize a model's weights (norms and small tensors stay F32)");
        command.Arguments.Add(input);
        command.Arguments.Add(outputPath);
        command.Arguments.Add(type);
        command.Options.Add(pure);
        command.SetAction(parse =>
        {
            var preset = QuantizationPreset.Parse(parse.GetValue(type)!);
            string inPath = parse.GetValue(input)!, outPath = parse.GetValue(outputPath)!;
            if (Path.GetFullPath(inPath) == Path.GetFullPath(outPath))
                throw new CliException("output must differ from input");
            if (Directory.Exists(outPath))
                throw new CliException($"'{outPath}' is a directory");

            var clock = Stopwatch.StartNew();
            using (var source = ModelFiles.OpenGguf(inPath))
                ProgressRunner.Run(output.Error, progress => ModelQuantizer.Run(source, outPath, preset, parse.GetValue(pure), progress));
            output.Error.WriteLine($"wrote {outPath} ({Units.Bytes(new FileInfo(outPath).Length)}, {preset.Name}) in {clock.Elapsed.TotalSeconds:F1} s");
            return TesseraCli.ExitOk;
        });
        return command;
    }
}
