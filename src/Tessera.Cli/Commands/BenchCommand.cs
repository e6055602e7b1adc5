using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tessera.Cli.Bench;
using Tessera.Cli.Info;
using Tessera.Cli.Run;
using Tessera.Gguf;
using Tessera.Kernels.Memory;
using Tessera.Models;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera bench MODEL -p 512 -n 128 -r 3 -t 2 [--json]`: prompt-processing and generation speed (tokens/s, mean and
/// standard deviation over repetitions), time to first token and peak memory, as a table or a JSON array;
/// `--moe-stats` adds the experts each MoE layer chose.
/// </summary>
public static class BenchCommand
{
    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string>("model") { Description = "Path to a .gguf model or a store name (see tessera list)" };
        var prompt = new Option<int>("--n-prompt", "-p") { Description = "Prompt tokens for the pp test (0 = skip)", DefaultValueFactory = _ => 512 };
        var generate = new Option<int>("--n-gen", "-n") { Description = "Generated tokens for the tg test (0 = skip)", DefaultValueFactory = _ => 128 };
        var depth = new Option<int>("--n-depth", "-d") { Description = "Tokens already in the context before each test (untimed), as llama-bench's -d", DefaultValueFactory = _ => 0 };
        var repetitions = new Option<int>("--repetitions", "-r") { Description = "Timed runs per test", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads", "-t") { Description = "Threads (0 = physical cores)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON array with an object per test" };
        var schema = new Option<FileInfo>("--json-schema") { Description = "Also measure generation with sampling, without and with the logits held to this JSON schema (the cost of constrained decoding)" };
        var bandwidth = new Option<bool>("--bandwidth") { Description = "Also measure the machine's memory read rate (same threads) around each generation run, and report the share of it generation turns into tokens (model on the CPU)" };
        var moeStats = new Option<bool>("--moe-stats") { Description = "After the table, print per MoE layer how often each expert was chosen" };
        var loading = new LoadModeArguments();
        var devices = new DeviceArguments();
        var moe = new MoeArguments();
        var kvCache = new KvCacheArguments();
        var command = new Command("bench", "Measure prompt processing and generation speed");
        command.Arguments.Add(model);
        command.Options.Add(prompt);
        command.Options.Add(generate);
        command.Options.Add(depth);
        command.Options.Add(repetitions);
        command.Options.Add(threads);
        command.Options.Add(json);
        command.Options.Add(schema);
        command.Options.Add(bandwidth);
        command.Options.Add(moeStats);
        loading.AddTo(command);
        devices.AddTo(command);
        moe.AddTo(command);
        kvCache.AddTo(command);
        command.SetAction(parse =>
        {
            int promptTokens = parse.GetValue(prompt), genTokens = parse.GetValue(generate), reps = parse.GetValue(repetitions), contextTokens = parse.GetValue(depth);
            if (promptTokens < 0 || genTokens < 0 || promptTokens + genTokens == 0)
                throw new CliException("-p and -n must not be negative, and at least one must be positive");
            if (contextTokens < 0)
                throw new CliException($"-d {contextTokens} must not be negative");
            if (reps < 1)
                throw new CliException($"-r {reps} must be at least 1");
            var expertTier = moe.ReadTier(parse);   // the expert memory tier reads pages when first used
            using var loaded = LoadedModel.Open(parse.GetValue(model)!, loading.Read(parse), prefault: expertTier is null);
            using var inference = loaded.CreateContext(contextTokens + Math.Max(promptTokens, genTokens), parse.GetValue(threads), placement: devices.Read(parse), diagnostics: output.Error, verbose: parse.GetValue<bool>("--verbose"), moeSchedule: moe.Read(parse), expertTier: expertTier, expertDevice: moe.ReadDevice(parse), kvCacheType: kvCache.Read(parse));
            using var session = inference.CreateSession();
            using var probe = parse.GetValue(bandwidth) ? BandwidthProbe(inference, genTokens) : null;
            var runner = new BenchRunner(session, loaded.Model.VocabularySize, inference.Pool, contextTokens,
                probe is null ? null : (probe, loaded.Model.DecodeWeightBytes));
            var results = new List<BenchResult>();
            if (promptTokens > 0)
                results.Add(runner.PromptProcessing(promptTokens, reps));
            if (genTokens > 0)
                results.Add(runner.Generation(genTokens, reps));
            if (parse.GetValue(schema) is { } schemaFile)
            {
                if (genTokens == 0)
                    throw new CliException("--json-schema measures generation: -n must be positive");
                var grammar = ReadSchema(schemaFile);
                results.Add(runner.SampledGeneration(genTokens, reps, loaded.Tokenizer, null));
                results.Add(runner.SampledGeneration(genTokens, reps, loaded.Tokenizer, grammar));
            }
            long peakRss = Process.GetCurrentProcess().PeakWorkingSet64;
            var info = new ModelInfo(ModelType(loaded.Model), Path.GetFileName(loaded.Model.File.Path), loaded.Model.File.FileSize, inference.Pool.ThreadCount);
            if (parse.GetValue(json))
                WriteJson(output.Out, results, info, peakRss, loaded.Pages);
            else
                WriteTable(output.Out, results, info, peakRss, loaded.Pages);
            if (parse.GetValue(moeStats))
            {
                if (inference.ExpertStatistics is null)
                    throw new CliException("--moe-stats: the model has no experts");
                ExpertStatisticsTable.Write(output.Out, inference.ExpertStatistics);
                ExpertStatisticsTable.WritePacking(output.Out, inference.Cpu.GroupedPackings);
            }
            ExpertTierReport.WriteEnd(output.Error, inference);
            return TesseraCli.ExitOk;
        });
        return command;
    }

    /// <summary>The read-rate probe of --bandwidth, which measures host memory: the whole model must run on the CPU.</summary>
    private static MemoryReadProbe BandwidthProbe(Runtime.InferenceContext inference, int genTokens)
    {
        if (genTokens == 0)
            throw new CliException("--bandwidth measures generation: -n must be positive");
        if (inference.Placement.Devices.Any(d => !ReferenceEquals(d, inference.Cpu)) || inference.DeviceExperts is not null || inference.ExpertTier is not null)
            throw new CliException("--bandwidth compares generation with the host's memory read rate: run the whole model on the CPU (--device cpu, no --moe-device or --mem-limit)");
        return new MemoryReadProbe();
    }

    private static Runtime.Grammars.CompiledGrammar ReadSchema(FileInfo file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file.FullName));
            return Runtime.Grammars.CompiledGrammar.FromJsonSchema(document.RootElement);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or Runtime.Grammars.GrammarException)
        {
            throw new CliException($"--json-schema {file.Name}: {e.Message}");
        }
    }

    private sealed record ModelInfo(string Type, string Name, long Bytes, int Threads);

    /// <summary>The file type without the "MOSTLY_" prefix (`Q4_0`, `F16`, `Q4_K_M`); without one, the first layer's weight type.</summary>
    private static string ModelType(TransformerModel model) =>
        model.File.Metadata.GetIntegerOrNull(GgufKeys.FileType) is { } type
            ? FileTypeNames.Describe(type).Replace("MOSTLY_", "", StringComparison.Ordinal).Replace("ALL_", "", StringComparison.Ordinal)
            : model.Layers[0].Q.Type.ToString();

    private static void WriteTable(TextWriter writer, List<BenchResult> results, ModelInfo info, long peakRss, HugePageReport pages)
    {
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine(string.Format(c, "| {0,-24} | {1,10} | {2,7} | {3,7} | {4,14} | {5,20} | {6,10} |", "model", "type", "size", "threads", "test", "t/s", "ttft ms"));
        writer.WriteLine("| " + new string('-', 24) + " | " + new string('-', 10) + " | " + new string('-', 7) + " | " + new string('-', 7) + " | "
            + new string('-', 14) + " | " + new string('-', 20) + " | " + new string('-', 10) + " |");
        foreach (var r in results)
        {
            writer.WriteLine(string.Format(c, "| {0,-24} | {1,10} | {2,7} | {3,7} | {4,14} | {5,20} | {6,10:F1} |", info.Name, info.Type, Units.Bytes(info.Bytes),
                info.Threads, r.Test, $"{r.TokensPerSecond:F2} ± {r.StandardDeviation:F2}", r.TimeToFirstToken.TotalMilliseconds));
        }
        writer.WriteLine(string.Format(c, "peak RSS: {0}", Units.Bytes(peakRss)));
        if (pages.Populated)
            writer.WriteLine(pages.Describe());
        foreach (var r in results)
        {
            if (r.Bandwidth is { } b)
                writer.WriteLine(string.Format(c, "memory bandwidth: {0} reads {1} of weights a token, {2:F1} GB/s: {3:P1} of the machine's read rate ({4:F1} GB/s on {5} threads, measured around each run)",
                    r.Test, Units.Bytes(b.WeightBytesPerToken), r.TokensPerSecond * b.WeightBytesPerToken / 1e9, b.Share, b.ReadBytesPerSecond / 1e9, info.Threads));
        }
        var idle = results.Where(r => r.IdleFraction is not null).Select(r => string.Format(c, "{0} {1:P1}", r.Test, r.IdleFraction)).ToArray();
        if (idle.Length > 0)
            writer.WriteLine("kernel threads idle inside operations: " + string.Join(", ", idle));
    }

    private static void WriteJson(TextWriter writer, List<BenchResult> results, ModelInfo info, long peakRss, HugePageReport pages)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var r in results)
            {
                json.WriteStartObject();
                json.WriteString("test", r.Test);
                json.WriteNumber("tokens_per_second", Math.Round(r.TokensPerSecond, 3));
                json.WriteNumber("stddev", Math.Round(r.StandardDeviation, 3));
                json.WriteNumber("n_prompt", r.PromptTokens);
                json.WriteNumber("n_gen", r.GeneratedTokens);
                json.WriteNumber("n_depth", r.Depth);
                json.WriteNumber("threads", info.Threads);
                json.WriteString("model_type", info.Type);
                json.WriteString("model", info.Name);
                json.WriteNumber("model_size", info.Bytes);
                json.WriteNumber("ttft_ms", Math.Round(r.TimeToFirstToken.TotalMilliseconds, 3));
                json.WriteNumber("peak_rss_bytes", peakRss);
                json.WriteNumber("huge_page_bytes", pages.HugeBytes);
                if (r.IdleFraction is { } idle)
                    json.WriteNumber("idle_fraction", Math.Round(idle, 4));
                if (r.Bandwidth is { } bandwidth)
                {
                    json.WriteNumber("weight_bytes_per_token", bandwidth.WeightBytesPerToken);
                    json.WriteNumber("read_bytes_per_second", Math.Round(bandwidth.ReadBytesPerSecond));
                    json.WriteNumber("bandwidth_share", Math.Round(bandwidth.Share, 4));
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        writer.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
