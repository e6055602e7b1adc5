namespace Tessera.Cli.Store;

/// <summary>A model folder in the store, with its manifest when the pull completed.</summary>
public sealed record StoreEntry(string Folder, string Path, string Owner, string Repo, string Quant, StoreManifest? Manifest)
{
    public bool IsComplete => Manifest is not null && Manifest.IsCompleteIn(Path);

    /// <summary>The name users type: OWNER/REPO:QUANT.</summary>
    public string Name => $"{Owner}/{Repo}:{Quant}";

    /// <summary>The file to open (the first part of a split model).</summary>
    public string ModelPath => System.IO.Path.Combine(Path, Manifest!.Files[0].Name);

    public long Size => IsComplete ? Manifest!.TotalSize
        : new DirectoryInfo(Path).EnumerateFiles().Where(f => f.Name != StoreLock.FileName).Sum(f => f.Length);

    public DateTime Modified => Manifest?.PulledAt.UtcDateTime ?? Directory.GetLastWriteTimeUtc(Path);
}

/// <summary>
/// The folder of pulled models (TESSERA_MODELS, default ~/.tessera/models): one folder per model named
/// OWNER--REPO--QUANT holding its GGUF files and a manifest.json written last.
/// </summary>
public sealed class ModelStore(string root)
{
    public string Root { get; } = System.IO.Path.GetFullPath(root);

    public static ModelStore Current => new(StoreSettings.Current.ModelsRoot);

    public IReadOnlyList<StoreEntry> Entries()
    {
        if (!Directory.Exists(Root))
            return [];
        var entries = new List<StoreEntry>();
        foreach (var directory in new DirectoryInfo(Root).EnumerateDirectories().OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (directory.Name.StartsWith('.'))
                continue;
            var manifest = StoreManifest.TryRead(directory.FullName);
            var parsed = ModelName.ParseFolder(directory.Name);
            if (manifest is not null)
                entries.Add(new StoreEntry(directory.Name, directory.FullName, manifest.Owner, manifest.Repo, manifest.Quant, manifest));
            else if (parsed is { } name) // a pull that has not finished: named after its folder
                entries.Add(new StoreEntry(directory.Name, directory.FullName, name.Owner, name.Repo, name.Quant, null));
        }
        return entries;
    }

    /// <summary>The folder for a model, checked to lie directly under the store root.</summary>
    public string FolderFor(string owner, string repo, string quant)
    {
        string folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, ModelName.FolderName(owner, repo, quant)));
        if (System.IO.Path.GetDirectoryName(folder) != Root.TrimEnd(System.IO.Path.DirectorySeparatorChar))
            throw new CliException($"model folder '{folder}' would be outside the store {Root}");
        return folder;
    }

    /// <summary>
    /// Finds a model by OWNER/REPO:QUANT, OWNER/REPO, REPO:QUANT, REPO (each when unique) or its folder name.
    /// Incomplete models are found too; <see cref="ResolveModelPath"/> refuses them.
    /// </summary>
    public StoreEntry Find(string name)
    {
        ModelName.CheckStoreName(name);
        string text = name.StartsWith(PullReference.HubPrefix, StringComparison.OrdinalIgnoreCase) ? name[PullReference.HubPrefix.Length..] : name;
        var entries = Entries();
        var byFolder = entries.Where(e => e.Folder.Equals(text, StringComparison.OrdinalIgnoreCase)).ToList();
        if (byFolder.Count == 1)
            return byFolder[0];

        string? quant = null;
        int colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            quant = text[(colon + 1)..];
            text = text[..colon];
        }
        string? owner = null;
        string repo = text;
        int slash = text.IndexOf('/');
        if (slash >= 0)
        {
            owner = text[..slash];
            repo = text[(slash + 1)..];
        }
        var matches = entries.Where(e => (owner is null || e.Owner.Equals(owner, StringComparison.OrdinalIgnoreCase))
            && e.Repo.Equals(repo, StringComparison.OrdinalIgnoreCase)
            && (quant is null || e.Quant.Equals(quant, StringComparison.OrdinalIgnoreCase))).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new CliException($"model '{name}' is not in the store ({Root}) and is not a file; pull it with: tessera pull hf.co/{owner ?? "OWNER"}/{repo}" + (quant is null ? "" : ":" + quant)),
            _ => throw new CliException($"'{name}' matches several models: {string.Join(", ", matches.Select(m => m.Name))}; use OWNER/REPO:QUANT"),
        };
    }

    /// <summary>The GGUF file of a complete model in the store.</summary>
    public string ResolveModelPath(string name)
    {
        var entry = Find(name);
        if (!entry.IsComplete)
            throw new CliException($"model '{entry.Name}' is incomplete; run tessera pull again to finish it");
        return entry.ModelPath;
    }

    /// <summary>Deletes a model's folder, unless a pull of it is running.</summary>
    public void Remove(StoreEntry entry)
    {
        using (StoreLock.Acquire(entry.Path, TimeSpan.Zero, entry.Name)) { }
        Directory.Delete(entry.Path, recursive: true);
    }
}
