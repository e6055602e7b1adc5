namespace Tessera.Server.Configuration;

/// <summary>
/// What a reload did: the live keys it applied ("scheduling.max_queue: 16 -> 32"), the changed keys it refused
/// because they need a restart, the changed keys a command-line flag holds (the flag wins), and the errors of a file
/// that could not be used (then nothing was applied).
/// </summary>
public sealed record ReloadResult(IReadOnlyList<string> Applied, IReadOnlyList<string> Refused, IReadOnlyList<string> Pinned,
    IReadOnlyList<ConfigError> Errors)
{
    /// <summary>The file as read, when it was valid.</summary>
    public ServerConfig? Config { get; init; }

    public static ReloadResult Failed(IReadOnlyList<ConfigError> errors) => new([], [], [], errors);

    /// <summary>True when the running server now matches the file in every key.</summary>
    public bool Complete => Errors.Count == 0 && Refused.Count == 0 && Pinned.Count == 0;

    /// <summary>One line each for the log: what changed, what did not and why.</summary>
    public IEnumerable<string> Describe(string path)
    {
        if (Errors.Count > 0)
        {
            yield return $"warning: config reload refused: {path} is invalid; the running config stays";
            foreach (var error in Errors)
                yield return $"  {path}:{error}";
            yield break;
        }
        if (Refused.Count > 0)
            yield return $"warning: config reload: restart to change {string.Join(", ", Refused)} (kept as started)";
        if (Pinned.Count > 0)
            yield return $"warning: config reload: {string.Join(", ", Pinned)} set by a command-line flag, which wins";
        yield return Applied.Count > 0 ? $"config reloaded: {string.Join("; ", Applied)}" : "config reloaded: no live setting changed";
    }
}
