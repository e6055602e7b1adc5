using System.CommandLine;
using System.Globalization;
using Tessera.Cli.Run;
using Tessera.Runtime;
using Tessera.Runtime.Generation;
using Tessera.Runtime.Sampling;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera run MODEL [-p PROMPT] [-n N] [sampling options] [--threads N] [--ctx N]`: generates text, streaming it to
/// stdout as it comes. Without a prompt it reads lines from stdin and keeps the whole conversation in the KV cache.
/// Load time and prompt/generation speed go to stderr at the end.
/// </summary>
public static class RunCommand
{
    public static Command Create(CommandOutput output, TextReader? input = null)
    {
        var model = new Argument<string>("model") { Description = "Path to a .gguf model or a store name (see tessera list)" };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Prompt; without it, read prompts from stdin (interactive)" };
        var count = new Option<int>("--n-predict", "-n") { Description = "Most tokens to generate per prompt (0 = until the context is full)", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads", "-t") { Description = "Threads (0 = physical cores)" };
        var context = new Option<int>("--ctx", "-c") { Description = $"Context size in tokens (0 = the model's, at most {LoadedModel.DefaultContextCap})" };
        var sampling = new SamplingArguments();
        var loading = new LoadModeArguments();
        var devices = new DeviceArguments();
        var moe = new MoeArguments();
        var kvCache = new KvCacheArguments();
        var command = new Command("run", "Generate text from a prompt, or chat line by line when no prompt is given");
        command.Arguments.Add(model);
        command.Options.Add(prompt);
        command.Options.Add(count);
        command.Options.Add(threads);
        command.Options.Add(context);
        sampling.AddTo(command);
        loading.AddTo(command);
        devices.AddTo(command);
        moe.AddTo(command);
        kvCache.AddTo(command);
        command.SetAction(parse =>
        {
            var samplerOptions = sampling.Read(parse);
            var generation = new GenerationOptions { MaxTokens = parse.GetValue(count) };
            var expertTier = moe.ReadTier(parse);   // the expert memory tier reads pages when first used
            using var loaded = LoadedModel.Open(parse.GetValue(model)!, loading.Read(parse), prefault: expertTier is null);
            using var inference = loaded.CreateContext(parse.GetValue(context), parse.GetValue(threads), placement: devices.Read(parse), diagnostics: output.Error, verbose: parse.GetValue<bool>("--verbose"), moeSchedule: moe.Read(parse), expertTier: expertTier, expertDevice: moe.ReadDevice(parse), kvCacheType: kvCache.Read(parse));
            using var session = inference.CreateSession();
            var generator = new Generator(session, loaded.Tokenizer);
            var sampler = new Sampler(samplerOptions, loaded.Model.VocabularySize);
            var totals = new Totals();
            string? text = parse.GetValue(prompt);
            if (text is not null)
            {
                Generate(generator, sampler, generation, loaded, text, first: true, output, totals);
                output.Out.WriteLine();
            }
            else
            {
                var reader = input ?? Console.In;
                bool first = true;
                while (reader.ReadLine() is { } line)
                {
                    Generate(generator, sampler, generation, loaded, first ? line : "\n" + line, first, output, totals);
                    output.Out.WriteLine();
                    first = false;
                }
            }
            RunStatistics.Write(output.Error, loaded.LoadTime, totals.PromptTokens, totals.PromptTime, totals.Generated, totals.GenerationTime);
            if (parse.GetValue<bool>("--verbose"))
                output.Error.WriteLine(string.Format(CultureInfo.InvariantCulture, "context: {0} tokens, KV cache {1} ({2}), {3} threads",
                    inference.ContextSize, Units.Bytes(inference.Cache.TotalBytes), inference.Cache.ElementType, inference.Pool.ThreadCount));
            ExpertTierReport.WriteEnd(output.Error, inference);
            return TesseraCli.ExitOk;
        });
        return command;
    }

    private static void Generate(Generator generator, Sampler sampler, GenerationOptions options, LoadedModel loaded, string text,
        bool first, CommandOutput output, Totals totals)
    {
        // Special tokens are added once, at the start of the conversation; later turns continue the same sequence.
        int[] tokens = loaded.Tokenizer.Encode(text, addSpecial: first, parseSpecial: true);
        if (tokens.Length > generator.Session.Remaining)
            throw new CliException($"the prompt has {tokens.Length} tokens but only {generator.Session.Remaining} of the {generator.Session.Length + generator.Session.Remaining}-token context are free (use --ctx)");
        var result = UserErrors.Guard(() => generator.Generate(tokens, sampler, options, piece =>
        {
            output.Out.Write(piece);
            output.Out.Flush();
        }));
        totals.PromptTokens += result.PromptTokens;
        totals.PromptTime += result.PromptTime;
        totals.Generated += result.TokenIds.Count;
        totals.GenerationTime += result.GenerationTime;
    }

    private sealed class Totals
    {
        public int PromptTokens;
        public TimeSpan PromptTime;
        public int Generated;
        public TimeSpan GenerationTime;
    }
}
