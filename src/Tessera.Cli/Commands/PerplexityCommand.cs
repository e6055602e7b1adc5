using System.CommandLine;
using System.Globalization;
using Tessera.Cli.Run;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera perplexity MODEL -f TEXT -c CTX [--chunks N]`: how well the model predicts a text. The text is tokenized
/// once (with BOS when the vocabulary adds it) and cut into chunks of CTX tokens; see <see cref="PerplexityScorer"/>.
/// Prints the running estimate after each chunk and, last, `Final estimate: PPL = X +/- Y`.
/// </summary>
public static class PerplexityCommand
{
    /// <summary>The smallest context that leaves tokens to score after the first half.</summary>
    private const int MinimumContext = 4;

    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string>("model") { Description = "Path to a .gguf model or a store name (see tessera list)" };
        var file = new Option<string>("--file", "-f") { Description = "Text file to score", Required = true };
        var context = new Option<int>("--ctx", "-c") { Description = "Tokens per chunk", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int>("--chunks") { Description = "Most chunks to score (0 = all)" };
        var threads = new Option<int>("--threads", "-t") { Description = "Threads (0 = physical cores)" };
        var loading = new LoadModeArguments();
        var devices = new DeviceArguments();
        var moe = new MoeArguments();
        var kvCache = new KvCacheArguments();
        var command = new Command("perplexity", "Perplexity of a model over a text, scored in chunks");
        command.Arguments.Add(model);
        command.Options.Add(file);
        command.Options.Add(context);
        command.Options.Add(chunks);
        command.Options.Add(threads);
        loading.AddTo(command);
        devices.AddTo(command);
        moe.AddTo(command);
        kvCache.AddTo(command);
        command.SetAction(parse =>
        {
            int chunkSize = parse.GetValue(context);
            if (chunkSize < MinimumContext)
                throw new CliException($"--ctx {chunkSize} is too small (at least {MinimumContext})");
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
                throw new CliException($"'{path}': no such file");
            string text = File.ReadAllText(path);
            var expertTier = moe.ReadTier(parse);   // the expert memory tier reads pages when first used
            using var loaded = LoadedModel.Open(parse.GetValue(model)!, loading.Read(parse), prefault: expertTier is null);
            int[] tokens = loaded.Tokenizer.Encode(text, addSpecial: true, parseSpecial: false);
            int available = tokens.Length / chunkSize;
            if (available < 1)
                throw new CliException($"the text has {tokens.Length} tokens, fewer than one chunk of {chunkSize}");
            int requested = parse.GetValue(chunks);
            int chunkCount = requested > 0 ? Math.Min(requested, available) : available;

            using var inference = loaded.CreateContext(chunkSize, parse.GetValue(threads), batchSize: chunkSize, placement: devices.Read(parse), diagnostics: output.Error, verbose: parse.GetValue<bool>("--verbose"), moeSchedule: moe.Read(parse), expertTier: expertTier, expertDevice: moe.ReadDevice(parse), kvCacheType: kvCache.Read(parse));
            using var session = inference.CreateSession();
            int vocab = loaded.Model.VocabularySize;
            var logits = new float[(long)(chunkSize - chunkSize / 2) * vocab];   // [scored half of a chunk, n_vocab]
            int? bos = loaded.Tokenizer.AddBos ? loaded.Tokenizer.BosId : null;
            var scorer = new PerplexityScorer(session, chunkSize, bos);
            var c = CultureInfo.InvariantCulture;
            output.Error.WriteLine(string.Format(c, "perplexity: {0} tokens, {1} chunks of {2}", tokens.Length, chunkCount, chunkSize));
            for (int chunk = 0; chunk < chunkCount; chunk++)
            {
                scorer.Score(tokens.AsSpan(chunk * chunkSize, chunkSize), logits, vocab);
                output.Out.WriteLine(string.Format(c, "[{0}]{1:F4}", chunk + 1, scorer.Perplexity));
            }
            output.Out.WriteLine(string.Format(c, "Final estimate: PPL = {0:F4} +/- {1:F5}", scorer.Perplexity, scorer.Error));
            ExpertTierReport.WriteEnd(output.Error, inference);
            return TesseraCli.ExitOk;
        });
        return command;
    }
}
