using System.CommandLine;
using System.Globalization;
using System.Text;
using Tessera.Cli.Run;
using Tessera.Models;
using Tessera.Runtime.Embeddings;

namespace Tessera.Cli.Commands;

/// <summary>
/// `tessera embed MODEL TEXT... [--format json|plain] [--pooling mean|cls|last] [--threads N]`: one sentence vector per
/// text, one line each (a JSON array, or space-separated numbers), unit length. Works with encoders (BERT) and decoders.
/// </summary>
public static class EmbedCommand
{
    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string>("model") { Description = "Path to a .gguf model or a store name (see tessera list)" };
        var texts = new Argument<string[]>("text") { Description = "Texts to embed, one vector each", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "json (one JSON array per line) or plain (space-separated numbers)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "plain");
        var pooling = new Option<string?>("--pooling") { Description = "mean, cls or last (default: the model's pooling_type; decoders: last)" };
        pooling.AcceptOnlyFromAmong("mean", "cls", "last");
        var threads = new Option<int>("--threads", "-t") { Description = "Threads (0 = physical cores)" };
        var command = new Command("embed", "Print an embedding vector for each text");
        command.Arguments.Add(model);
        command.Arguments.Add(texts);
        command.Options.Add(format);
        command.Options.Add(pooling);
        command.Options.Add(threads);
        command.SetAction(parse =>
        {
            if (parse.GetValue(threads) < 0)
                throw new CliException($"--threads {parse.GetValue(threads)} must be positive");
            string path = ModelFiles.Resolve(parse.GetValue(model)!);
            if (!File.Exists(path))
                throw new CliException(Directory.Exists(path) ? $"'{path}' is a directory, expected a .gguf file" : $"'{path}': no such file");
            var options = new EmbedderOptions
            {
                Threads = parse.GetValue(threads),
                Pooling = parse.GetValue(pooling) switch
                {
                    "mean" => PoolingType.Mean,
                    "cls" => PoolingType.Cls,
                    "last" => PoolingType.Last,
                    _ => null,
                },
            };
            using var embedder = UserErrors.Guard(() => Embedder.Open(path, options));
            EmbeddingBatch result;
            try
            {
                result = embedder.Embed(parse.GetValue(texts)!);
            }
            catch (EmbeddingInputException e)
            {
                throw new CliException($"text {e.Index + 1}: {e.Message}");
            }
            bool json = parse.GetValue(format) == "json";
            foreach (var vector in result.Embeddings)
                output.Out.WriteLine(Line(vector, json));
            return TesseraCli.ExitOk;
        });
        return command;
    }

    /// <summary>Shortest round-trip text of each value: parsing it back gives the same float.</summary>
    private static string Line(float[] vector, bool json)
    {
        var line = new StringBuilder(vector.Length * 12);
        if (json)
            line.Append('[');
        for (int i = 0; i < vector.Length; i++)
        {
            if (i > 0)
                line.Append(json ? "," : " ");
            line.Append(vector[i].ToString("R", CultureInfo.InvariantCulture));
        }
        if (json)
            line.Append(']');
        return line.ToString();
    }
}
