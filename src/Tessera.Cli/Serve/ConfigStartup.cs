using Tessera.Server.Configuration;

namespace Tessera.Cli.Serve;

/// <summary>The config a server starts from, and the file a SIGHUP reads again (null: nothing to reload).</summary>
public sealed record ConfigChoice(ServerConfig Config, string? ReloadPath);

/// <summary>
/// Picks the config `tessera serve` starts from: a version from the history (`--config-rollback [ID]`), the
/// `--config` file, or none. A file that fails validation falls back to the last version that started cleanly, with
/// a loud warning naming every error, unless `--strict-config` asks to fail instead (as it fails when the history is
/// empty).
/// </summary>
public static class ConfigStartup
{
    public static ConfigChoice Choose(string? path, bool rollback, string? rollbackId, bool strict, ConfigStore store, TextWriter error)
    {
        if (rollback)
        {
            var version = rollbackId is null ? store.Previous() : store.Find(rollbackId);
            error.WriteLine($"tessera: starting from config version {version.Id} (rollback)");
            return new ConfigChoice(FromHistory(version), path);
        }
        if (path is null)
            return new ConfigChoice(ServerConfig.Empty, null);
        try
        {
            return new ConfigChoice(ServerConfigFile.Load(path), path);
        }
        catch (ConfigException invalid) when (!strict)
        {
            var last = store.Latest ?? throw new ConfigException($"{invalid.Message} (and no config has started before, so there is none to fall back to)");
            error.WriteLine($"tessera: WARNING: ******** {path} is invalid; NOT using it ********");
            foreach (var problem in invalid.Errors)
                error.WriteLine($"tessera: WARNING:   {path}: {problem}");
            error.WriteLine($"tessera: WARNING: starting from the last good config, version {last.Id} ({last.Path}); fix {path} and restart (--strict-config fails instead)");
            return new ConfigChoice(FromHistory(last), path);
        }
    }

    private static ServerConfig FromHistory(ConfigVersion version) => ServerConfigFile.Parse(version.ReadText(), $"config version {version.Id}");
}
