using System.Collections;
using System.Globalization;
using Tessera.Server.Hosting;
using YamlDotNet.RepresentationModel;

namespace Tessera.Server.Configuration;

/// <summary>
/// One setting of the config file: its path (`section.key`), how its YAML value is read, and how it maps onto
/// <see cref="ServerOptions"/> (the property <see cref="Property"/>, read by <see cref="Get"/>, set by
/// <see cref="Set"/>). Keys the server has no property for (`model.models_dir`, resolved by the CLI) have neither.
/// <see cref="Live"/> keys may change while the server runs (SIGHUP); the others need a restart.
/// </summary>
public abstract class ConfigKey
{
    private protected ConfigKey(string path, string? property, bool live)
    {
        Path = path;
        Property = property;
        Live = live;
    }

    public string Path { get; }
    public string Section => Path[..Path.IndexOf('.')];
    public string Name => Path[(Path.IndexOf('.') + 1)..];

    /// <summary>The <see cref="ServerOptions"/> property, as its Validate() names it in ArgumentException.ParamName.</summary>
    public string? Property { get; }
    public bool Live { get; }

    /// <summary>Whether the key maps onto <see cref="ServerOptions"/>.</summary>
    public abstract bool MapsToOptions { get; }

    /// <summary>Reads the node; throws <see cref="FormatException"/> on a value of the wrong type or range.</summary>
    internal abstract object Read(YamlNode node);

    internal abstract ServerOptions Set(ServerOptions options, object value);

    /// <summary>The effective value in <paramref name="options"/>, as text (for diffs and messages).</summary>
    internal abstract string Show(ServerOptions options);

    /// <summary>Copies this key's value from <paramref name="source"/> into <paramref name="target"/>.</summary>
    internal abstract ServerOptions Copy(ServerOptions source, ServerOptions target);

    /// <summary>A value as text: lists joined with commas, seconds as numbers, words in lower case.</summary>
    internal static string Format(object? value) => value switch
    {
        null => "",
        string text => text,
        TimeSpan span => span.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        bool flag => flag ? "true" : "false",
        Enum word => word.ToString().ToLowerInvariant(),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable list => string.Join(",", list.Cast<object?>().Select(Format)),
        _ => value.ToString() ?? "",
    };
}

/// <summary>A <see cref="ConfigKey"/> whose values are <typeparamref name="T"/>.</summary>
public sealed class ConfigKey<T> : ConfigKey where T : notnull
{
    private readonly ReadValue<T> _read;
    private readonly Func<ServerOptions, T>? _get;
    private readonly Func<ServerOptions, T, ServerOptions>? _set;

    internal ConfigKey(string path, string? property, ReadValue<T> read, Func<ServerOptions, T>? get, Func<ServerOptions, T, ServerOptions>? set,
        bool live) : base(path, property, live)
    {
        _read = read;
        _get = get;
        _set = set;
    }

    public override bool MapsToOptions => _set is not null;

    internal override object Read(YamlNode node) => _read(node);

    internal override ServerOptions Set(ServerOptions options, object value) => _set is null ? options : _set(options, (T)value);

    internal override string Show(ServerOptions options) => _get is null ? "" : Format(_get(options));

    internal override ServerOptions Copy(ServerOptions source, ServerOptions target) =>
        _get is null || _set is null ? target : _set(target, _get(source));
}
