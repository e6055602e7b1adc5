using Tessera.Server.Hosting;

namespace Tessera.Server.Configuration;

/// <summary>One value the file sets: the key, the value read, and its line.</summary>
public sealed record ConfigEntry(ConfigKey Key, object Value, int Line);

/// <summary>
/// A parsed, validated config file: the values it sets (keys it leaves out keep their defaults or the CLI's) and the
/// text it came from, which the history keeps. <see cref="ApplyTo"/> lays the values over a <see cref="ServerOptions"/>.
/// </summary>
public sealed class ServerConfig
{
    private readonly IReadOnlyDictionary<string, ConfigEntry> _entries;

    internal ServerConfig(string source, string text, IReadOnlyList<ConfigEntry> entries)
    {
        Source = source;
        Text = text;
        _entries = entries.ToDictionary(entry => entry.Key.Path, StringComparer.Ordinal);
    }

    /// <summary>A config that sets nothing (serving from flags alone).</summary>
    public static ServerConfig Empty { get; } = new("(no config)", "", []);

    /// <summary>Where it came from: the file's path or "config version ID".</summary>
    public string Source { get; }

    /// <summary>The file's text, as the history stores it.</summary>
    public string Text { get; }

    public IEnumerable<ConfigEntry> Entries => _entries.Values.OrderBy(entry => entry.Line);

    public bool Sets(ConfigKey key) => _entries.ContainsKey(key.Path);

    /// <summary>The line that sets <paramref name="key"/>, or 0 when the file leaves it out.</summary>
    public int LineOf(ConfigKey key) => _entries.TryGetValue(key.Path, out var entry) ? entry.Line : 0;

    public bool TryGet<T>(ConfigKey<T> key, out T value) where T : notnull
    {
        if (_entries.TryGetValue(key.Path, out var entry))
        {
            value = (T)entry.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary><paramref name="options"/> with every value this file sets.</summary>
    public ServerOptions ApplyTo(ServerOptions options)
    {
        foreach (var entry in Entries)
            options = entry.Key.Set(options, entry.Value);
        return options;
    }

    /// <summary>The value <paramref name="key"/> takes under this config (its default when the file leaves it out), as
    /// text: two configs differ in a key exactly when these differ.</summary>
    public string Show(ConfigKey key)
    {
        if (!key.MapsToOptions)
            return _entries.TryGetValue(key.Path, out var entry) ? ConfigKey.Format(entry.Value) : "";
        return key.Show(ApplyTo(Defaults));
    }

    /// <summary>Defaults to lay a file over when checking it on its own (the model may come from the command line).</summary>
    internal static ServerOptions Defaults { get; } = new() { ModelPath = "(the model given on the command line)" };
}
