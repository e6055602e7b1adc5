using System.Text.Json;
using System.Text.Json.Serialization;
using Tessera.Models;

namespace Tessera.Runtime.Experts;

/// <summary>
/// The expert selection counts of earlier runs of a model, kept in a small JSON file so the next start places its hot
/// experts from them instead of from nothing: `MODEL.gguf.experts.json` beside the model, or, where that folder
/// cannot be written, `experts/NAME-SIZE.json` in the cache folder. The file names the model (file name, size,
/// architecture, layer and expert counts); a file that does not match, or cannot be read, is set aside with a
/// warning and the run starts from no counts.
/// </summary>
public sealed class ExpertSeedFile
{
    public const string Format = "tessera-expert-stats/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The file for <paramref name="model"/>: the one beside it if it exists or that folder is writable, else the cache's.</summary>
    public static string PathFor(TransformerModel model)
    {
        string beside = model.File.Path + ".experts.json";
        if (File.Exists(beside) || IsWritable(Path.GetDirectoryName(Path.GetFullPath(beside))!))
            return beside;
        return Path.Combine(Devices.CacheDirectory.Path, "experts", $"{Path.GetFileNameWithoutExtension(model.File.Path)}-{model.File.FileSize}.json");
    }

    /// <summary>Reads the counts [layers, experts] saved for <paramref name="model"/>; null (and a warning) when there is
    /// no file, or it belongs to another model or does not parse.</summary>
    public static long[]? Read(string path, TransformerModel model, out string? warning)
    {
        warning = null;
        if (!File.Exists(path))
            return null;
        var hp = model.Hyperparameters;
        try
        {
            var saved = JsonSerializer.Deserialize<Contents>(File.ReadAllText(path), Json)
                ?? throw new JsonException("the file is empty");
            var expected = Identity(model);
            if (saved.Format != Format || saved.Model != expected.Model || saved.FileSize != expected.FileSize
                || saved.Architecture != expected.Architecture || saved.Layers != expected.Layers || saved.Experts != expected.Experts)
            {
                warning = $"expert statistics {path} belong to {saved.Model} ({saved.Architecture}, {saved.Layers} layers x {saved.Experts} experts, " +
                    $"{saved.FileSize} bytes), not to this model: starting without them";
                return null;
            }
            if (saved.Selections is not { } rows || rows.Length != hp.LayerCount || rows.Any(r => r is null || r.Length != hp.ExpertCount || r.Any(c => c < 0)))
                throw new JsonException($"selections must be {hp.LayerCount} rows of {hp.ExpertCount} non-negative counts");
            return rows.SelectMany(r => r).ToArray();
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            warning = $"expert statistics {path} cannot be read ({e.Message}): starting without them";
            return null;
        }
    }

    /// <summary>Writes the counts [layers, experts] for <paramref name="model"/>, replacing the file whole (written
    /// beside it, then moved), so a reader never sees half a file.</summary>
    public static void Write(string path, TransformerModel model, ReadOnlySpan<long> selections)
    {
        var hp = model.Hyperparameters;
        var rows = new long[hp.LayerCount][];
        for (int layer = 0; layer < rows.Length; layer++)
            rows[layer] = selections.Slice(layer * hp.ExpertCount, hp.ExpertCount).ToArray();
        var contents = Identity(model) with { Selections = rows };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(contents, Json));
        File.Move(temporary, path, overwrite: true);
    }

    private static Contents Identity(TransformerModel model) => new()
    {
        Format = Format,
        Model = Path.GetFileName(model.File.Path),
        FileSize = model.File.FileSize,
        Architecture = model.Hyperparameters.Architecture,
        Layers = model.Hyperparameters.LayerCount,
        Experts = model.Hyperparameters.ExpertCount,
    };

    private static bool IsWritable(string directory)
    {
        try
        {
            string probe = Path.Combine(directory, $".tessera-write-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private sealed record Contents
    {
        public string? Format { get; init; }
        public string? Model { get; init; }
        public long FileSize { get; init; }
        public string? Architecture { get; init; }
        public int Layers { get; init; }
        public int Experts { get; init; }
        [JsonPropertyName("selections")]
        public long[][]? Selections { get; init; }
    }
}
