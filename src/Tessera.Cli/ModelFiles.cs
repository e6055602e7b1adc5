using Tessera.Cli.Store;
using Tessera.Gguf;

namespace Tessera.Cli;

/// <summary>Opens model files given on the command line with errors a user can act on.</summary>
public static class ModelFiles
{
    /// <param name="pathOrName">a .gguf path, or the name of a model in the store (see <see cref="Resolve"/>)</param>
    public static GgufFile OpenGguf(string pathOrName, GgufLoadMode mode = GgufLoadMode.Map)
    {
        string path = Resolve(pathOrName);
        if (Directory.Exists(path))
            throw new CliException($"'{path}' is a directory, expected a .gguf file");
        if (!File.Exists(path))
            throw new CliException($"'{path}': no such file");
        return GgufFile.Open(path, mode);
    }

    /// <summary>
    /// The file a model argument names: an existing file or anything that looks like a path is taken as a path;
    /// anything else is a store name (OWNER/REPO:QUANT, REPO, a folder name), which must be a complete model.
    /// </summary>
    public static string Resolve(string pathOrName)
    {
        if (LooksLikePath(pathOrName))
            return pathOrName;
        return ModelStore.Current.ResolveModelPath(pathOrName);
    }

    /// <summary>Paths: existing files and folders, names ending in .gguf, rooted or relative (./, ../, ~/) paths.</summary>
    public static bool LooksLikePath(string text) => File.Exists(text) || Directory.Exists(text)
        || text.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || Path.IsPathRooted(text)
        || text.StartsWith('.') || text.StartsWith('~') || text.Contains('\\');
}
