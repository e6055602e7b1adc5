using System.Text.RegularExpressions;

namespace Tessera.Cli.Store;

/// <summary>What `tessera pull` was asked for: a hub repository (with an optional quantization), one file in a
/// repository, or a URL of a GGUF file.</summary>
public sealed record PullReference(string Owner, string Repo, string? Quant, string? File, Uri? Url)
{
    public const string HubPrefix = "hf.co/";

    public string Source => Url?.ToString() ?? HubPrefix + Owner + "/" + Repo + (File is null ? (Quant is null ? "" : ":" + Quant) : "/" + File);

    /// <summary>Parses `hf.co/OWNER/REPO[:QUANT]`, `OWNER/REPO/FILE.gguf` or an https:// URL of a GGUF file.</summary>
    public static PullReference Parse(string text)
    {
        if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
                throw new CliException($"'{text}' is not a valid URL");
            string file = Uri.UnescapeDataString(url.Segments[^1]);
            ModelName.CheckFileName(file);
            string stem = ModelName.StemOf(file);
            string? quant = ModelName.QuantOf(file);
            string repo = quant is null ? stem : stem.Replace(quant, "", StringComparison.OrdinalIgnoreCase).Trim('-', '.', '_');
            return new PullReference(ModelName.Sanitize(url.Host), ModelName.Sanitize(repo.Length > 0 ? repo : stem), quant ?? "gguf", file, url);
        }
        string rest = text.StartsWith(HubPrefix, StringComparison.OrdinalIgnoreCase) ? text[HubPrefix.Length..] : text;
        string[] parts = rest.Split('/');
        if (parts.Length == 3)
        {
            ModelName.CheckRepoPart(parts[0], text);
            ModelName.CheckRepoPart(parts[1], text);
            ModelName.CheckFileName(parts[2]);
            return new PullReference(parts[0], parts[1], ModelName.QuantOf(parts[2]) ?? ModelName.Sanitize(ModelName.StemOf(parts[2])), parts[2], null);
        }
        if (parts.Length == 2 && text.StartsWith(HubPrefix, StringComparison.OrdinalIgnoreCase))
        {
            string repo = parts[1];
            string? quant = null;
            int colon = repo.IndexOf(':');
            if (colon >= 0)
            {
                quant = repo[(colon + 1)..].ToUpperInvariant();
                repo = repo[..colon];
                if (!ModelName.IsQuantName(quant))
                    throw new CliException($"'{quant}' is not a quantization name (like Q4_K_M)");
            }
            ModelName.CheckRepoPart(parts[0], text);
            ModelName.CheckRepoPart(repo, text);
            return new PullReference(parts[0], repo, quant, null, null);
        }
        throw new CliException($"'{text}' is not a model to pull: use hf.co/OWNER/REPO[:QUANT], OWNER/REPO/FILE.gguf or an https:// URL of a .gguf file");
    }
}

/// <summary>Names in the store: folder names, quantization names found in file names, and checks that keep names
/// (typed by the user or returned by the hub) from reaching outside the store.</summary>
public static partial class ModelName
{
    /// <summary>Separates owner, repository and quantization in a folder name (the hub allows no "--" in names).</summary>
    public const string Separator = "--";

    public static string FolderName(string owner, string repo, string quant) => owner + Separator + repo + Separator + quant;

    /// <summary>Owner, repository and quantization from a folder name, or null when it is not one of ours.</summary>
    public static (string Owner, string Repo, string Quant)? ParseFolder(string folder)
    {
        string[] parts = folder.Split(Separator);
        return parts.Length == 3 && parts.All(p => p.Length > 0) ? (parts[0], parts[1], parts[2]) : null;
    }

    /// <summary>The quantization named in a GGUF file name (Q4_K_M, IQ4_NL, F16...), upper case, or null.</summary>
    public static string? QuantOf(string fileName)
    {
        var match = QuantPattern().Match(StemOf(fileName));
        return match.Success ? match.Value.ToUpperInvariant() : null;
    }

    public static bool IsQuantName(string text) => QuantPattern().Match(text) is { Success: true } m && m.Length == text.Length;

    /// <summary>4-bit types, the default when a repository has no Q4_K_M file.</summary>
    public static bool IsFourBit(string quant) => quant.StartsWith("Q4", StringComparison.Ordinal) || quant.StartsWith("IQ4", StringComparison.Ordinal);

    /// <summary>A file name without `.gguf` and without a split suffix (`-00001-of-00002`).</summary>
    public static string StemOf(string fileName)
    {
        string stem = Path.GetFileName(fileName);
        if (stem.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            stem = stem[..^5];
        return SplitSuffix().Replace(stem, "");
    }

    /// <summary>Refuses file names that could write outside a folder or are not GGUF files.</summary>
    public static void CheckFileName(string name)
    {
        if (name.Length == 0 || name.Contains('\\') || name.Contains('\0') || Path.IsPathRooted(name)
            || name.Split('/').Any(segment => segment is ".." or "." or "")
            || !name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"refusing unsafe or non-GGUF file name '{name}'");
    }

    /// <summary>An owner or repository name: what the hub allows, and never a path.</summary>
    public static void CheckRepoPart(string part, string whole)
    {
        if (!RepoPartPattern().IsMatch(part) || part.Contains("..") || part.Contains(Separator))
            throw new CliException($"'{whole}': '{part}' is not a valid owner or repository name");
    }

    /// <summary>Checks a model name typed by the user (store names never contain path syntax).</summary>
    public static void CheckStoreName(string name)
    {
        if (name.Length == 0 || name.Contains("..") || name.Contains('\\') || Path.IsPathRooted(name) || !StoreNamePattern().IsMatch(name))
            throw new CliException($"'{name}' is not a valid model name (use OWNER/REPO:QUANT, REPO or a store folder name)");
    }

    /// <summary>Keeps only characters that are safe in a folder name.</summary>
    public static string Sanitize(string text)
    {
        string clean = UnsafeCharacters().Replace(text, "_").Replace(Separator, "-");
        while (clean.Contains(".."))
            clean = clean.Replace("..", ".");
        return clean.Trim('.').Length == 0 ? "model" : clean;
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9])(I?Q[1-8](_[A-Z0-9]+)*|BF16|F16|F32)(?![A-Za-z0-9])", RegexOptions.IgnoreCase)]
    private static partial Regex QuantPattern();

    [GeneratedRegex(@"-\d{5}-of-\d{5}$")]
    private static partial Regex SplitSuffix();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepoPartPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,250}$")]
    private static partial Regex StoreNamePattern();

    [GeneratedRegex(@"[^A-Za-z0-9._-]")]
    private static partial Regex UnsafeCharacters();
}
