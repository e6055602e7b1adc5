namespace Tessera.Devices;

/// <summary>Where Tessera keeps what it measured or learned on this machine: `TESSERA_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/tessera`, else `~/.cache/tessera`.</summary>
public static class CacheDirectory
{
    public const string Variable = "TESSERA_CACHE_DIR";

    public static string Path
    {
        get
        {
            string? dir = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrEmpty(dir))
                return dir;
            string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            return System.IO.Path.Combine(string.IsNullOrEmpty(xdg)
                ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg, "tessera");
        }
    }
}
