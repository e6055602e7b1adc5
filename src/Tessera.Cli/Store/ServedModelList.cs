using Tessera.Gguf;
using Tessera.Server.Hosting;

namespace Tessera.Cli.Store;

/// <summary>
/// The models `tessera serve` answers with, from its model arguments and `--models-dir`: a store name is served under
/// that name (OWNER/REPO:QUANT), a file under its name without .gguf (a split model under its prefix). A models
/// folder contributes its .gguf files and, when it holds pulled models, each complete one (incomplete ones are skipped
/// with a warning, never loaded).
/// </summary>
public static class ServedModelList
{
    public static ModelSource FromArgument(string pathOrName)
    {
        if (ModelFiles.LooksLikePath(pathOrName))
        {
            if (!File.Exists(pathOrName))
                throw new CliException($"model file not found: {pathOrName}");
            return new ModelSource(IdOfFile(pathOrName), pathOrName);
        }
        var entry = ModelStore.Current.Find(pathOrName);
        return new ModelSource(entry.Name, ModelStore.Current.ResolveModelPath(entry.Name));
    }

    public static IReadOnlyList<ModelSource> FromDirectory(string directory, Action<string> warn)
    {
        if (!Directory.Exists(directory))
            throw new CliException($"models folder not found: {directory}");
        var models = new List<ModelSource>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.gguf").Order(StringComparer.Ordinal))
        {
            // A split model is served once, through its first part.
            if (GgufSplitName.TryParse(file, out _, out int part, out _) && part != 1)
                continue;
            models.Add(new ModelSource(IdOfFile(file), file));
        }
        foreach (var entry in new ModelStore(directory).Entries())
        {
            if (entry.IsComplete)
                models.Add(new ModelSource(entry.Name, entry.ModelPath));
            else
                warn($"skipping '{entry.Name}' in {directory}: its pull has not finished");
        }
        return models;
    }

    /// <summary>The file name without .gguf, and without the part suffix of a split model.</summary>
    public static string IdOfFile(string path)
    {
        string name = Path.GetFileName(path);
        if (GgufSplitName.TryParse(name, out string prefix, out _, out _))
            return prefix;
        return Path.GetFileNameWithoutExtension(name);
    }
}
