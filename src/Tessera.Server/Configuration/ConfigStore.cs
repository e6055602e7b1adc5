using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tessera.Server.Configuration;

/// <summary>
/// The history of configs that started cleanly: the newest <see cref="DefaultKeep"/> texts, one file each, in
/// `~/.tessera/config-history/` (beside the model store) or <see cref="FolderVariable"/>. Ids sort by start time, so
/// the newest is the config the server last started with and <see cref="Previous"/> the one before it. Starting
/// twice in a row with the same text keeps one version.
/// </summary>
public sealed class ConfigStore
{
    public const string FolderVariable = "TESSERA_CONFIG_HISTORY";
    public const int DefaultKeep = 10;
    private const string Extension = ".yaml";
    private const string IdTimeFormat = "yyyyMMdd-HHmmss";

    private readonly int _keep;
    private readonly Func<DateTimeOffset> _clock;

    public ConfigStore(string folder, int keep = DefaultKeep, Func<DateTimeOffset>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Folder = folder;
        _keep = keep;
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>The store <see cref="FolderVariable"/> names, else `~/.tessera/config-history`.</summary>
    public static ConfigStore FromEnvironment()
    {
        string? folder = Environment.GetEnvironmentVariable(FolderVariable);
        if (string.IsNullOrWhiteSpace(folder))
            folder = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tessera", "config-history");
        return new ConfigStore(folder);
    }

    public string Folder { get; }

    /// <summary>Every kept version, newest first.</summary>
    public IReadOnlyList<ConfigVersion> Versions()
    {
        if (!Directory.Exists(Folder))
            return [];
        return Directory.EnumerateFiles(Folder, "*" + Extension)
            .Select(path => new ConfigVersion(System.IO.Path.GetFileNameWithoutExtension(path), path))
            .Where(version => IsId(version.Id))
            .OrderByDescending(version => version.Id, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The config the server last started with, or null when none has.</summary>
    public ConfigVersion? Latest => Versions().FirstOrDefault();

    /// <summary>The version started before the latest: what `--config-rollback` without an id returns to.</summary>
    public ConfigVersion Previous()
    {
        var versions = Versions();
        return versions.Count >= 2 ? versions[1]
            : throw new ConfigException(versions.Count == 0 ? $"no config has started yet, so there is none to roll back to ({Folder} is empty)"
                : $"only one config version is kept ({versions[0].Id}), so there is none before it to roll back to");
    }

    public ConfigVersion Find(string id)
    {
        var versions = Versions();
        return versions.FirstOrDefault(version => version.Id == id)
            ?? throw new ConfigException($"no config version '{id}'; known: {(versions.Count == 0 ? "none" : string.Join(", ", versions.Select(v => v.Id)))}");
    }

    /// <summary>Records a config that started cleanly and drops the oldest beyond the kept count; the same text as the
    /// latest version is not stored again.</summary>
    public ConfigVersion Save(string text)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8];
        var latest = Latest;
        if (latest is not null && latest.Hash == hash && latest.ReadText() == text)
            return latest;
        var now = _clock().UtcDateTime;
        var time = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        // Ids must sort in start order: two starts within one second (or a clock set back) move the new id past the latest.
        if (latest is not null && DateTime.ParseExact(latest.Id[..IdTimeFormat.Length], IdTimeFormat, CultureInfo.InvariantCulture) is var last && time <= last)
            time = last.AddSeconds(1);
        string id = $"{time.ToString(IdTimeFormat, CultureInfo.InvariantCulture)}-{hash}";
        Directory.CreateDirectory(Folder);
        string path = System.IO.Path.Combine(Folder, id + Extension);
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
        foreach (var old in Versions().Skip(_keep))
            File.Delete(old.Path);
        return new ConfigVersion(id, path);
    }

    private static bool IsId(string name) => name.Length == IdTimeFormat.Length + 9 && name[IdTimeFormat.Length] == '-'
        && DateTime.TryParseExact(name[..IdTimeFormat.Length], IdTimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
}
