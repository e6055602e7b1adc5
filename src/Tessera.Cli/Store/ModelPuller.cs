using Tessera.Gguf;

namespace Tessera.Cli.Store;

/// <summary>
/// `tessera pull`: picks the files to download, downloads them under the model folder's lock, checks them (size,
/// sha256, GGUF header) and writes the manifest last, so a model is listed as complete only when all of that passed.
/// </summary>
public sealed class ModelPuller(StoreSettings settings, CommandOutput output)
{
    public const string DefaultRevision = "main";
    public const string PreferredQuant = "Q4_K_M";

    /// <summary>The branch, tag or commit of the repository to pull (`--revision`).</summary>
    public string Revision { get; init; } = DefaultRevision;

    /// <summary>A file to download: where from, its name in the model folder, and what the hub says it holds.</summary>
    private sealed record PlannedFile(Uri Url, string LocalName, long Size, string? Sha256);

    /// <summary>Pulls on the thread pool, so blocking here never waits on a synchronization context that needs this thread.</summary>
    public StoreEntry Pull(string text, CancellationToken cancel = default) => Task.Run(() => PullAsync(text, cancel)).GetAwaiter().GetResult();

    public async Task<StoreEntry> PullAsync(string text, CancellationToken cancel)
    {
        try
        {
            return await PullOnceAsync(text, cancel);
        }
        catch (TransientException e)
        {
            throw new CliException($"{e.Message} (gave up after {settings.Retries} retries)");
        }
    }

    private async Task<StoreEntry> PullOnceAsync(string text, CancellationToken cancel)
    {
        var reference = PullReference.Parse(text);
        using var hub = new HubClient(settings);
        var (quant, files) = await PlanAsync(hub, reference, cancel);
        var store = new ModelStore(settings.ModelsRoot);
        string folder = store.FolderFor(reference.Owner, reference.Repo, quant);
        string name = $"{reference.Owner}/{reference.Repo}:{quant}";
        foreach (var file in files)
            CheckInside(folder, file.LocalName);

        Directory.CreateDirectory(folder);
        CheckNoLink(folder, folder);
        foreach (var file in files)
        {
            CheckNoLink(folder, Path.Combine(folder, file.LocalName));
            CheckNoLink(folder, Path.Combine(folder, file.LocalName + Downloader.PartialSuffix));
        }
        var folderLock = StoreLock.Acquire(folder, settings.LockTimeout, name);
        IReadOnlyList<ManifestFile> downloaded;
        try
        {
            var previous = StoreManifest.TryRead(folder);
            if (previous is not null && previous.IsCompleteIn(folder) && SameFiles(previous, files))
            {
                output.Error.WriteLine($"tessera: {name} is up to date");
                return store.Find(Path.GetFileName(folder));
            }
            // The folder reads as incomplete until the new manifest is written.
            File.Delete(Path.Combine(folder, StoreManifest.FileName));

            var downloader = new Downloader(hub, settings, output.Error);
            downloaded = await PullProgress.RunAsync(output, async progress =>
            {
                var done = new List<ManifestFile>();
                foreach (var file in files)
                    done.Add(await downloader.DownloadAsync(file.Url, Path.Combine(folder, file.LocalName), file.Size, file.Sha256,
                        progress.Begin(file.LocalName), cancel));
                return done;
            });
            Validate(folder, downloaded);
            new StoreManifest(reference.Source, reference.Owner, reference.Repo, quant,
                reference.Url is null ? Revision : "", downloaded, DateTimeOffset.UtcNow).Write(folder);
        }
        finally
        {
            folderLock.Dispose();
            // Only a pull that held the lock cleans up, so it never removes a folder another pull is writing.
            RemoveIfEmpty(folder);
        }
        output.Error.WriteLine($"tessera: pulled {name} ({Units.Bytes(downloaded.Sum(f => f.Size))}) into {folder}");
        return store.Find(Path.GetFileName(folder));
    }

    /// <summary>Opens the model as the loader would (this validates the header, tensor table and split parts); a file
    /// that fails is deleted, so it is never listed.</summary>
    private static void Validate(string folder, IReadOnlyList<ManifestFile> files)
    {
        try
        {
            using var model = GgufFile.Open(Path.Combine(folder, files[0].Name));
        }
        catch (GgufFormatException e)
        {
            foreach (var file in files)
                File.Delete(Path.Combine(folder, file.Name));
            throw new CliException($"the downloaded model is not a valid GGUF file and was deleted: {e.Message}");
        }
    }

    private async Task<(string Quant, IReadOnlyList<PlannedFile> Files)> PlanAsync(HubClient hub, PullReference reference, CancellationToken cancel)
    {
        if (reference.Url is not null)
            return (reference.Quant!, [new PlannedFile(reference.Url, reference.File!, -1, null)]);

        string repoName = $"{reference.Owner}/{reference.Repo}";
        var listing = await HubClient.WithRetriesAsync(settings, output.Error,
            () => hub.ListFilesAsync(reference.Owner, reference.Repo, Revision, cancel));
        // The hub is untrusted: one unsafe GGUF name and the whole listing is refused.
        var ggufs = listing.Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || f.Path.Contains(".."))
            .ToList();
        foreach (var file in ggufs)
            ModelName.CheckFileName(file.Path);
        var groups = Group(ggufs);

        List<HubFile> chosen;
        string quant;
        if (reference.File is not null)
        {
            var group = groups.FirstOrDefault(g => g.Files.Any(f => f.Path.Equals(reference.File, StringComparison.OrdinalIgnoreCase)))
                ?? throw new CliException($"{repoName}/{reference.File}: repository or file not found");
            chosen = group.Files;
            quant = reference.Quant!;
        }
        else
        {
            var group = Choose(groups, reference.Quant, repoName);
            chosen = group.Files;
            quant = group.Quant ?? ModelName.Sanitize(ModelName.StemOf(chosen[0].Path)); // a file that names no type
            output.Error.WriteLine(reference.Quant is null
                ? $"tessera: {repoName}: picked {quant} ({Path.GetFileName(chosen[0].Path)}{(chosen.Count > 1 ? $" and {chosen.Count - 1} more parts" : "")}, {Units.Bytes(group.Size)})"
                : $"tessera: {repoName}: {quant} is {Path.GetFileName(chosen[0].Path)} ({Units.Bytes(group.Size)})");
        }
        return (quant, chosen.Select(f => new PlannedFile(hub.ResolveUrl(reference.Owner, reference.Repo, Revision, f.Path),
            Path.GetFileName(f.Path), f.Size, f.Sha256)).ToList());
    }

    /// <summary>One model in a repository: a single GGUF file or all parts of a split one.</summary>
    private sealed record FileGroup(string? Quant, List<HubFile> Files)
    {
        public long Size => Files.Sum(f => Math.Max(0, f.Size));
    }

    private static List<FileGroup> Group(IEnumerable<HubFile> files)
    {
        var groups = new List<FileGroup>();
        foreach (var split in files.GroupBy(f => GgufSplitName.TryParse(f.Path, out var prefix, out _, out int count) ? $"{prefix}\n{count}" : f.Path))
        {
            var parts = split.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
            if (GgufSplitName.TryParse(parts[0].Path, out var prefix, out _, out int count))
            {
                var expected = Enumerable.Range(1, count).Select(n => GgufSplitName.Format(prefix, n, count)).ToList();
                if (!expected.SequenceEqual(parts.Select(p => p.Path)))
                    continue; // parts missing from the listing: not a model we can pull
            }
            groups.Add(new FileGroup(ModelName.QuantOf(parts[0].Path), parts));
        }
        return groups;
    }

    /// <summary>The requested quantization; without one Q4_K_M, else the smallest 4-bit file, else the only file.</summary>
    private static FileGroup Choose(List<FileGroup> groups, string? quant, string repoName)
    {
        string available = groups.Count == 0 ? "no GGUF files"
            : "available: " + string.Join(", ", groups.Select(g => g.Quant ?? Path.GetFileName(g.Files[0].Path)).Distinct());
        List<FileGroup> matches;
        if (quant is not null)
            matches = groups.Where(g => string.Equals(g.Quant, quant, StringComparison.OrdinalIgnoreCase)).ToList();
        else
        {
            matches = groups.Where(g => g.Quant == PreferredQuant).ToList();
            if (matches.Count == 0)
                matches = groups.Where(g => g.Quant is not null && ModelName.IsFourBit(g.Quant)).OrderBy(g => g.Size).Take(1).ToList();
            if (matches.Count == 0 && groups.Count == 1)
                matches = groups;
        }
        return matches.Count switch
        {
            1 => matches[0],
            0 when quant is not null => throw new CliException($"{repoName} has no {quant} file ({available})"),
            0 => throw new CliException($"{repoName} has no Q4_K_M or 4-bit GGUF file; name one with hf.co/{repoName}:QUANT ({available})"),
            _ => throw new CliException($"{repoName} has several {matches[0].Quant} files ({string.Join(", ", matches.Select(m => Path.GetFileName(m.Files[0].Path)))}); " +
                $"pull one with {repoName}/FILE.gguf"),
        };
    }

    private static bool SameFiles(StoreManifest manifest, IReadOnlyList<PlannedFile> files) =>
        manifest.Files.Count == files.Count && manifest.Files.Zip(files).All(p => p.First.Name == p.Second.LocalName
            && (p.Second.Size < 0 || p.First.Size == p.Second.Size)
            && (p.Second.Sha256 is null || string.Equals(p.First.Sha256, p.Second.Sha256, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The final path of a file from the hub must be directly inside the model folder.</summary>
    private static void CheckInside(string folder, string localName)
    {
        string full = Path.GetFullPath(Path.Combine(folder, localName));
        if (Path.GetDirectoryName(full) != folder.TrimEnd(Path.DirectorySeparatorChar))
            throw new CliException($"refusing file name '{localName}': it would be written outside {folder}");
    }

    /// <summary>Writing through a symbolic link would land wherever it points; the store's own files are never links.</summary>
    private static void CheckNoLink(string folder, string path)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (info.LinkTarget is not null)
            throw new CliException($"refusing to write through the symbolic link {path} in {folder}");
    }

    /// <summary>A pull that failed before anything was kept leaves no folder behind (only its lock file would be there).</summary>
    private static void RemoveIfEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).All(e => Path.GetFileName(e) == StoreLock.FileName))
                Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // another pull holds the folder now; it will clean up after itself
        }
    }
}
