using Tessera.Gguf.Reading;

namespace Tessera.Gguf;

/// <summary>
/// An open, validated GGUF model: metadata, tensor infos and zero-copy access to tensor data in a
/// read-only memory mapping. A split model (PREFIX-00001-of-0000N.gguf) opens as one file with the
/// tensors of all its parts; its metadata is that of the first part.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private readonly GgufPart[] _parts;
    private readonly GgufTensorInfo[] _tensors;
    private readonly Dictionary<string, GgufTensorInfo> _byName;
    private bool _disposed;

    private GgufFile(string path, GgufPart[] parts)
    {
        _parts = parts;
        Path = path;
        _tensors = parts.SelectMany(p => p.Header.Tensors).ToArray();
        _byName = new Dictionary<string, GgufTensorInfo>(_tensors.Length, StringComparer.Ordinal);
        foreach (var t in _tensors)
        {
            if (!_byName.TryAdd(t.Name, t))
                throw new GgufFormatException(t.Name, t.InfoOffset,
                    $"{parts[t.SplitIndex].Source}: tensor '{t.Name}' also appears in part {_byName[t.Name].SplitIndex + 1}");
        }
    }

    /// <summary>The path opened (the first part for a split model).</summary>
    public string Path { get; }

    public uint Version => First.Version;

    /// <summary>Alignment of tensor data (general.alignment, 32 when absent).</summary>
    public long Alignment => First.Alignment;

    /// <summary>File offset where the data section of the first part begins (the header ends before it).</summary>
    public long DataOffset => First.DataStart;

    /// <summary>Size in bytes of the file at <see cref="Path"/>.</summary>
    public long FileSize => First.Length;

    public GgufMetadata Metadata => First.Metadata;

    /// <summary>Every tensor, in file order, parts in order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => _tensors;

    /// <summary>Number of files the model is stored in (1 unless split).</summary>
    public int SplitCount => _parts.Length;

    /// <summary>The paths of the part files, in order (just <see cref="Path"/> unless split).</summary>
    public IReadOnlyList<string> PartPaths => _parts.Select(p => p.Source).ToArray();

    /// <summary>Whether every part is a read-only file mapping: its pages may then be dropped and are read again from
    /// the file (with `--no-mmap` copies, dropping pages would lose the weights).</summary>
    public bool IsFileMapped => _parts.All(p => p.Memory is Reading.MappedGgufMemory);

    /// <summary>
    /// Reads every page of the mapped parts now (as llama.cpp's populate does), in 2 MiB pages where the system allows
    /// (<see cref="HugePageCache"/>): generation then reads its weights with one TLB entry per 2 MiB. Parts read into
    /// memory (`--no-mmap`) are already in 2 MiB pages and are left alone, and so is a model larger than
    /// <paramref name="memoryBytes"/> (default: three quarters of the memory the process may use), whose pages could
    /// not all stay.
    /// </summary>
    public HugePageReport PrefaultInHugePages(long memoryBytes = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (memoryBytes <= 0)
            memoryBytes = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3;
        var report = new HugePageReport();
        if (!IsFileMapped || _parts.Sum(p => p.Memory.Length) > memoryBytes)
            return report;
        foreach (var part in _parts)
            report += HugePageCache.Settle(part.Source, part.Memory.Pointer, part.Memory.Length);
        return report;
    }

    /// <summary>The metadata of one part (0-based); parts after the first usually hold only the split keys.</summary>
    public GgufMetadata PartMetadata(int splitIndex) => _parts[splitIndex].Header.Metadata;

    private GgufHeader First => _parts[0].Header;

    /// <summary>Opens, maps and validates a GGUF file; a split part name opens every part.</summary>
    public static GgufFile Open(string path) => Open(path, GgufLoadMode.Map);

    /// <summary>Opens and validates a GGUF file (every part of a split one), mapped or read as <paramref name="mode"/> says.</summary>
    public static GgufFile Open(string path, GgufLoadMode mode)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var paths = GgufSplitName.TryParse(path, out var prefix, out _, out var count)
            ? Enumerable.Range(1, count).Select(n => GgufSplitName.Format(prefix, n, count)).ToArray()
            : [path];

        var parts = new List<GgufPart>(paths.Length);
        try
        {
            foreach (var partPath in paths)
            {
                if (paths.Length > 1 && !File.Exists(partPath))
                    throw new GgufFormatException(GgufKeys.SplitCount, -1,
                        $"{path}: split part '{System.IO.Path.GetFileName(partPath)}' (of {paths.Length}) is missing");
                parts.Add(GgufPart.Load(partPath, parts.Count, mode));
            }
            GgufSplitValidator.Validate(parts, hasSplitName: paths.Length > 1 || count == 1);
            return new GgufFile(path, parts.ToArray());
        }
        catch
        {
            foreach (var part in parts)
                part.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses and validates GGUF bytes already in memory (the memory is pinned until disposal).
    /// <paramref name="name"/> stands for the file name in error messages.
    /// </summary>
    public static GgufFile Open(ReadOnlyMemory<byte> bytes, string name = "memory")
    {
        var part = GgufPart.Pin(bytes, name);
        try
        {
            GgufSplitValidator.Validate([part], hasSplitName: false);
            return new GgufFile(name, [part]);
        }
        catch
        {
            part.Dispose();
            throw;
        }
    }

    public GgufTensorInfo? FindTensor(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The named tensor; a <see cref="GgufFormatException"/> naming it when absent.</summary>
    public GgufTensorInfo GetTensor(string name) =>
        FindTensor(name) ?? throw new GgufFormatException(name, -1, $"{Path}: tensor '{name}' is missing");

    /// <summary>Pointer to the tensor's bytes inside the mapping; valid until this file is disposed. No copy.</summary>
    public byte* GetDataPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_byName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor))
            throw new ArgumentException($"tensor '{tensor.Name}' does not belong to {Path}", nameof(tensor));
        var part = _parts[tensor.SplitIndex];
        return part.Memory.Pointer + part.Header.DataStart + tensor.Offset;
    }

    /// <summary>The tensor's bytes as a span over the mapping (tensors over 2 GiB need <see cref="GetDataPointer"/>).</summary>
    public ReadOnlySpan<byte> GetData(GgufTensorInfo tensor)
    {
        var pointer = GetDataPointer(tensor);
        if (tensor.ByteSize > int.MaxValue)
            throw new GgufFormatException(tensor.Name, tensor.InfoOffset,
                $"tensor '{tensor.Name}' has {tensor.ByteSize} bytes, too many for a span; use GetDataPointer");
        return new ReadOnlySpan<byte>(pointer, (int)tensor.ByteSize);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var part in _parts)
            part.Dispose();
    }
}
