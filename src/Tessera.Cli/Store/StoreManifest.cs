using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tessera.Cli.Store;

/// <summary>One downloaded file of a model: its name in the model folder, size and sha256 (lower-case hex).</summary>
public sealed record ManifestFile(string Name, long Size, string Sha256);

/// <summary>
/// `manifest.json` in a model folder, written last when a pull completes: a folder without one (or with one whose files
/// are missing or the wrong size) is incomplete and is never loaded.
/// </summary>
public sealed record StoreManifest(string Source, string Owner, string Repo, string Quant, string Revision,
    IReadOnlyList<ManifestFile> Files, DateTimeOffset PulledAt)
{
    public const string FileName = "manifest.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public long TotalSize => Files.Sum(f => f.Size);

    /// <summary>Writes atomically (temporary file, then a move), so a crash never leaves a half-written manifest.</summary>
    public void Write(string folder)
    {
        string path = Path.Combine(folder, FileName);
        AtomicFile.Write(path, temporary => File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json)));
    }

    /// <summary>The folder's manifest, or null when it is missing or unreadable.</summary>
    public static StoreManifest? TryRead(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            var manifest = JsonSerializer.Deserialize<StoreManifest>(File.ReadAllText(path), Json);
            return manifest is { Files.Count: > 0 } && manifest.Files.All(IsSafe) ? manifest : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Whether every file the manifest names is present with its recorded size.</summary>
    public bool IsCompleteIn(string folder) => Files.All(f =>
        new FileInfo(Path.Combine(folder, f.Name)) is { Exists: true } info && info.Length == f.Size);

    // A manifest is data on disk too: a file name in it must stay inside the folder.
    private static bool IsSafe(ManifestFile file) => file.Name is { Length: > 0 } name
        && name == Path.GetFileName(name) && name != ".." && name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);
}
