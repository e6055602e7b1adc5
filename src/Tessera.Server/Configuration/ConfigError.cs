namespace Tessera.Server.Configuration;

/// <summary>One mistake in a config file: the key path (`scheduling.parallel`; null for a syntax error), its line
/// (1-based; 0 when the value did not come from the file) and what is wrong.</summary>
public sealed record ConfigError(string? Key, int Line, string Message)
{
    public override string ToString()
    {
        string where = Line > 0 ? $"line {Line}: " : "";
        return Key is null ? where + Message : $"{where}{Key}: {Message}";
    }
}
