namespace Tessera.Server.Configuration;

/// <summary>A config file that cannot be used (with every error found), or a config history request that cannot be
/// met (an unknown version id, nothing to roll back to).</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string source, IReadOnlyList<ConfigError> errors)
        : base($"{source}: {errors.Count} error{(errors.Count == 1 ? "" : "s")}: {string.Join("; ", errors)}")
        => Errors = errors;

    public ConfigException(string message) : base(message) => Errors = [];

    /// <summary>Every error found, in file order; empty for history errors.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }
}
