namespace Tessera.Testing;

/// <summary>
/// Locates the team's read-only test data folder (`shared/`, beside the repository clone)
/// and the repository root, whatever folder the test runner starts in.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string> RepoRootPath = new(FindRepoRoot);

    /// <summary>The folder holding Tessera.sln.</summary>
    public static string RepoRoot => RepoRootPath.Value;

    /// <summary>The shared data folder: `../shared` relative to the repository root.</summary>
    public static string Root => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Models => Path.Combine(Root, "models");
    public static string Refs => Path.Combine(Root, "refs");
    public static string TokenizerVectors => Path.Combine(Root, "tokenizer-vectors");
    public static string ChatTemplates => Path.Combine(Root, "chat-templates");

    public static string Model(string fileName) => Path.Combine(Models, fileName);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tessera.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Tessera.sln not found above " + AppContext.BaseDirectory);
    }
}
