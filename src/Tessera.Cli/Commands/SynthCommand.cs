using System.CommandLine;
using System.Diagnostics;
using Tessera.Cli.Quantize;
using Tessera.Cli.Synth;

namespace Tessera.Cli.Commands;

/// <summary>`tessera synth --preset NAME --type TYPE --vocab VOCAB.gguf OUT.gguf`: a random-weight model for benchmarks.</summary>
public static class SynthCommand
{
    public static Command Create(CommandOutput output)
    {
        var outputPath = new Argument<string>("output") { Description = "Where to write the model" };
        var preset = new Option<string>("--preset") { Description = "Shape: " + string.Join(", ", SynthPreset.All.Select(p => p.Name)), Required = true };
        var type = new Option<string>("--type") { Description = "Weight type, as for quantize (e.g. Q4_0, Q8_0, Q4_K_M, F16)", DefaultValueFactory = _ => "F16" };
        var vocab = new Option<string>("--vocab") { Description = "GGUF whose tokenizer.* metadata is copied (e.g. a vocab-only file)", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42 };
        var command = new Command("synth", "Write a deterministic random-weight model with a real model's shape");
        command.Arguments.Add(outputPath);
        command.Options.Add(preset);
        command.Options.Add(type);
        command.Options.Add(vocab);
        command.Options.Add(seed);
        command.SetAction(parse =>
        {
            var shape = SynthPreset.Parse(parse.GetValue(preset)!);
            var target = QuantizationPreset.Parse(parse.GetValue(type)!);
            string outPath = parse.GetValue(outputPath)!;
            if (Directory.Exists(outPath))
                throw new CliException($"'{outPath}' is a directory");
            var clock = Stopwatch.StartNew();
            using (var vocabulary = ModelFiles.OpenGguf(parse.GetValue(vocab)!))
                ProgressRunner.Run(output.Error, progress => SyntheticModel.Write(shape, target, vocabulary, outPath, parse.GetValue(seed), progress));
            output.Error.WriteLine($"wrote {outPath} ({Units.Bytes(new FileInfo(outPath).Length)}, {shape.Name} {target.Name}) in {clock.Elapsed.TotalSeconds:F1} s");
            return TesseraCli.ExitOk;
        });
        return command;
    }
}
