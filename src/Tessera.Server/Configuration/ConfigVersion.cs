namespace Tessera.Server.Configuration;

/// <summary>A config that started cleanly, kept in the history: `yyyyMMdd-HHmmss-HASH8` (UTC start time, the first 8
/// hex digits of the text's SHA-256), and the file holding its text.</summary>
public sealed record ConfigVersion(string Id, string Path)
{
    public string Hash => Id[(Id.LastIndexOf('-') + 1)..];

    public string ReadText() => File.ReadAllText(Path);
}
