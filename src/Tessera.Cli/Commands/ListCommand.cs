using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Tessera.Cli.Store;

namespace Tessera.Cli.Commands;

/// <summary>`tessera list [--json]`: the models in the store; a folder whose pull has not completed is `incomplete`.</summary>
public static class ListCommand
{
    public static Command Create(CommandOutput output)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table" };
        var command = new Command("list", "List the models in the store");
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            var entries = ModelStore.Current.Entries();
            if (parse.GetValue(json))
                WriteJson(output.Out, entries);
            else if (entries.Count == 0)
                output.Error.WriteLine($"tessera: no models in {ModelStore.Current.Root}; pull one with: tessera pull hf.co/OWNER/REPO");
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumn("name").AddColumn("quant")
                    .AddColumn("size", c => c.RightAligned()).AddColumn("modified").AddColumn("status");
                foreach (var e in entries)
                    table.AddTextRow(e.Name, e.Quant, Units.Bytes(e.Size), Modified(e), e.IsComplete ? "ok" : "incomplete");
                ConsoleFactory.For(output.Out).Write(table);
            }
            return TesseraCli.ExitOk;
        });
        return command;
    }

    private static string Modified(StoreEntry e) => e.Modified.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static void WriteJson(TextWriter writer, IReadOnlyList<StoreEntry> entries)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var e in entries)
            {
                json.WriteStartObject();
                json.WriteString("name", e.Name);
                json.WriteString("folder", e.Folder);
                json.WriteString("quant", e.Quant);
                json.WriteNumber("size", e.Size);
                json.WriteString("modified", e.Modified.ToString("O", CultureInfo.InvariantCulture));
                json.WriteBoolean("complete", e.IsComplete);
                if (e.IsComplete)
                {
                    json.WriteString("path", e.ModelPath);
                    json.WriteString("source", e.Manifest!.Source);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        writer.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
