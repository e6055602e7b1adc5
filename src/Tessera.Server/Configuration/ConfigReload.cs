using Tessera.Server.Hosting;

namespace Tessera.Server.Configuration;

/// <summary>
/// Reloads a running server's config file (on SIGHUP): the file is read and validated again; the keys that may change
/// live (<see cref="ConfigKey.Live"/>: queue length, request timeout, step token budget, alert thresholds) take their
/// new values through <see cref="LiveSettings"/>; any other key that differs from the config the server started with is
/// refused, as is the whole file when it is invalid, and the running values stay.
/// </summary>
public sealed class ConfigReload
{
    private readonly string _path;
    private readonly ServerConfig _started;
    private readonly ServerOptions _options;
    private readonly LiveSettings _live;
    private readonly IReadOnlySet<string> _pinned;
    private readonly object _gate = new();
    private ServerConfig _applied;

    /// <param name="path">the file to read again</param>
    /// <param name="started">the config the server started with (restart-only keys are compared with it)</param>
    /// <param name="options">the options the server runs with (the file, the flags and the defaults together)</param>
    /// <param name="pinned">keys a command-line flag set: a flag outranks the file, on reload too</param>
    public ConfigReload(string path, ServerConfig started, ServerOptions options, LiveSettings live, IReadOnlySet<string>? pinned = null)
    {
        _path = path;
        _started = started;
        _applied = started;
        _options = options;
        _live = live;
        _pinned = pinned ?? new HashSet<string>();
    }

    public string Path => _path;

    public ReloadResult Reload()
    {
        lock (_gate)
        {
            ServerConfig candidate;
            try
            {
                candidate = ServerConfigFile.Load(_path);
            }
            catch (ConfigException e)
            {
                return ReloadResult.Failed(e.Errors);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return ReloadResult.Failed([new ConfigError(null, 0, e.Message)]);
            }
            var refused = ConfigKeys.All.Where(key => !key.Live && _started.Show(key) != candidate.Show(key)).Select(key => key.Path).ToArray();
            var changed = ConfigKeys.All.Where(key => key.Live && _applied.Show(key) != candidate.Show(key)).ToArray();
            var pinned = changed.Where(key => _pinned.Contains(key.Path)).Select(key => key.Path).ToArray();
            var live = changed.Where(key => !_pinned.Contains(key.Path)).ToArray();

            // Keys the file leaves out go back to their defaults, as they would at a start.
            var target = candidate.ApplyTo(ServerConfig.Defaults);
            var updated = _live.Current.ApplyTo(_options);
            foreach (var key in live)
                updated = key.Copy(target, updated);
            if (ServerConfigFile.ValidationError(updated, candidate) is { } invalid)
                return ReloadResult.Failed([invalid]);

            var applied = live.Select(key => $"{key.Path}: {key.Show(_live.Current.ApplyTo(_options))} -> {key.Show(updated)}").ToArray();
            if (live.Length > 0)
                _live.Update(LiveValues.From(updated));
            _applied = candidate;
            return new ReloadResult(applied, refused, pinned, []) { Config = candidate };
        }
    }
}
