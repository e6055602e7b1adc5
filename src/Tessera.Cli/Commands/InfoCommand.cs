using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Cli.Info;
using Tessera.Gguf;

namespace Tessera.Cli.Commands;

/// <summary>`tessera info MODEL.gguf [--tensors] [--json]`: what a model file holds, without loading weights.</summary>
public static class InfoCommand
{
    public static Command Create(CommandOutput output)
    {
        var model = new Argument<string>("model") { Description = "Path to a .gguf file (first part of a split model) or a store name" };
        var tensors = new Option<bool>("--tensors") { Description = "List every tensor with type, shape and offset" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables" };
        var command = new Command("info", "Summarise a GGUF model: architecture, parameters, types, tokenizer, metadata");
        command.Arguments.Add(model);
        command.Options.Add(tensors);
        command.Options.Add(json);
        command.SetAction(parse => Print(parse.GetValue(model)!, output, parse.GetValue(json), parse.GetValue(tensors)));
        return command;
    }

    /// <summary>Prints the summary of a model file or store name (`tessera show` shares this).</summary>
    public static int Print(string model, CommandOutput output, bool json, bool listTensors)
    {
        using var file = ModelFiles.OpenGguf(model);
        var summary = ModelSummary.From(file);
        if (json)
            WriteJson(output.Out, file, summary, listTensors);
        else
            WriteTables(ConsoleFactory.For(output.Out), file, summary, listTensors);
        return TesseraCli.ExitOk;
    }

    private static void WriteTables(IAnsiConsole console, GgufFile file, ModelSummary s, bool listTensors)
    {
        var overview = new Table().Border(TableBorder.Rounded).AddColumn("property").AddColumn("value");
        void Row(string name, object? value) { if (value is not null) overview.AddTextRow(name, Format(value)); }
        Row("file", s.Path);
        Row("size", $"{Units.Bytes(s.FileSize)} (GGUF v{s.GgufVersion}, alignment {s.Alignment})");
        Row("architecture", s.Architecture ?? "(none: vocab-only or unknown)");
        Row("name", s.Name);
        Row("file type", s.FileType);
        Row("parameters", $"{Units.Count(s.ParameterCount)} in {s.TensorCount} tensors");
        Row("context length", s.ContextLength);
        Row("embedding length", s.EmbeddingLength);
        Row("layers", s.BlockCount);
        Row("attention heads", s.HeadCount is null ? null : $"{s.HeadCount} (KV heads {s.HeadCountKv ?? s.HeadCount})");
        Row("feed-forward length", s.FeedForwardLength);
        Row("experts", s.ExpertCount is null ? null : $"{s.ExpertCount} ({s.ExpertUsedCount} used per token)");
        Row("tokenizer", s.TokenizerModel is null ? null : s.TokenizerModel + (s.TokenizerPre is null ? "" : $" (pre: {s.TokenizerPre})"));
        Row("vocabulary", s.VocabularySize);
        Row("BOS / EOS", s.BosTokenId is null && s.EosTokenId is null ? null : $"{Id(s.BosTokenId)} / {Id(s.EosTokenId)}");
        Row("chat template", s.HasChatTemplate ? "yes" : "no");
        console.Write(overview);

        if (s.TypeMix.Count > 0)
        {
            var types = new Table().Border(TableBorder.Rounded).AddColumn("type").AddColumn("tensors", c => c.RightAligned())
                .AddColumn("parameters", c => c.RightAligned()).AddColumn("bytes", c => c.RightAligned()).AddColumn("share", c => c.RightAligned());
            long total = s.TypeMix.Sum(t => t.Bytes);
            foreach (var t in s.TypeMix)
                types.AddTextRow(t.Type.ToString(), t.TensorCount.ToString(CultureInfo.InvariantCulture), Units.Count(t.Elements),
                    Units.Bytes(t.Bytes), (100.0 * t.Bytes / Math.Max(1, total)).ToString("F1", CultureInfo.InvariantCulture) + "%");
            console.Write(types);
        }

        var metadata = new Table().Border(TableBorder.Rounded).AddColumn("key").AddColumn("type").AddColumn("value");
        foreach (var entry in file.Metadata)
            metadata.AddTextRow(entry.Key, MetadataFormatter.TypeName(entry), MetadataFormatter.Preview(entry));
        console.Write(metadata);

        if (listTensors)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumn("name").AddColumn("type").AddColumn("shape")
                .AddColumn("bytes", c => c.RightAligned()).AddColumn("offset", c => c.RightAligned());
            foreach (var t in file.Tensors)
                table.AddTextRow(t.Name, t.Type.ToString(), Shape(t.Dimensions), Units.Bytes(t.ByteSize), $"0x{t.Offset:X}");
            console.Write(table);
        }
    }

    private static void WriteJson(TextWriter writer, GgufFile file, ModelSummary s, bool listTensors)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("path", s.Path);
            json.WriteNumber("file_size", s.FileSize);
            json.WriteNumber("gguf_version", s.GgufVersion);
            json.WriteNumber("alignment", s.Alignment);
            WriteOptional(json, "architecture", s.Architecture);
            WriteOptional(json, "name", s.Name);
            WriteOptional(json, "file_type", s.FileType);
            json.WriteNumber("parameters", s.ParameterCount);
            json.WriteNumber("tensor_count", s.TensorCount);
            WriteOptional(json, "context_length", s.ContextLength);
            WriteOptional(json, "embedding_length", s.EmbeddingLength);
            WriteOptional(json, "block_count", s.BlockCount);
            WriteOptional(json, "head_count", s.HeadCount);
            WriteOptional(json, "head_count_kv", s.HeadCountKv);
            WriteOptional(json, "feed_forward_length", s.FeedForwardLength);
            WriteOptional(json, "expert_count", s.ExpertCount);
            WriteOptional(json, "expert_used_count", s.ExpertUsedCount);
            WriteOptional(json, "tokenizer_model", s.TokenizerModel);
            WriteOptional(json, "tokenizer_pre", s.TokenizerPre);
            WriteOptional(json, "vocab_size", s.VocabularySize);
            WriteOptional(json, "bos_token_id", s.BosTokenId);
            WriteOptional(json, "eos_token_id", s.EosTokenId);
            json.WriteBoolean("has_chat_template", s.HasChatTemplate);

            json.WriteStartArray("types");
            foreach (var t in s.TypeMix)
            {
                json.WriteStartObject();
                json.WriteString("type", t.Type.ToString());
                json.WriteNumber("tensors", t.TensorCount);
                json.WriteNumber("parameters", t.Elements);
                json.WriteNumber("bytes", t.Bytes);
                json.WriteEndObject();
            }
            json.WriteEndArray();

            json.WriteStartArray("metadata");
            foreach (var entry in file.Metadata)
            {
                json.WriteStartObject();
                json.WriteString("key", entry.Key);
                json.WriteString("type", MetadataFormatter.TypeName(entry));
                json.WriteString("value", MetadataFormatter.Preview(entry));
                json.WriteEndObject();
            }
            json.WriteEndArray();

            if (listTensors)
            {
                json.WriteStartArray("tensors");
                foreach (var t in file.Tensors)
                {
                    json.WriteStartObject();
                    json.WriteString("name", t.Name);
                    json.WriteString("type", t.Type.ToString());
                    json.WriteStartArray("shape");
                    foreach (long d in t.Dimensions) json.WriteNumberValue(d);
                    json.WriteEndArray();
                    json.WriteNumber("bytes", t.ByteSize);
                    json.WriteNumber("offset", t.Offset);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        writer.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>A summary field that a file may lack: null in JSON rather than absent, so consumers see every key.</summary>
    private static void WriteOptional(Utf8JsonWriter json, string name, object? value)
    {
        switch (value)
        {
            case null: json.WriteNull(name); break;
            case string text: json.WriteString(name, text); break;
            default: json.WriteNumber(name, Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
        }
    }

    private static string Shape(long[] dims) => "[" + string.Join(", ", dims) + "]";

    private static string Id(long? id) => id?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Format(object value) => value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString() ?? "";
}
