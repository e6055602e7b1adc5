using Tessera.Gguf.Writing;
using Tessera.Tensors;

namespace Tessera.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata in insertion order, then tensors in the order added, their data
/// aligned. Arguments are validated when added (<see cref="ArgumentException"/>), so a file written
/// by this class always passes <see cref="GgufFile.Open(string)"/>. The split keys (split.*) describe
/// the layout the writer chooses and are therefore not copied from <see cref="Set(GgufMetadataEntry)"/>.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<GgufMetadataEntry> _entries = [];
    private readonly List<PendingTensor> _tensors = [];
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    /// <param name="alignment">Tensor data alignment, a power of two; written as general.alignment unless 32.</param>
    public GgufWriter(uint alignment = GgufLimits.DefaultAlignment)
    {
        if (alignment != GgufLimits.DefaultAlignment)
            Set(GgufKeys.Alignment, alignment);
        else
            GgufWriterChecks.CheckAlignment(alignment);
    }

    /// <summary>The alignment in effect: general.alignment when set, else 32.</summary>
    public uint Alignment => FindIndex(GgufKeys.Alignment) is var i and >= 0 ? (uint)_entries[i].Value : GgufLimits.DefaultAlignment;

    /// <summary>Metadata entries in the order they will be written.</summary>
    public IReadOnlyList<GgufMetadataEntry> Metadata => _entries;

    /// <summary>Names of the tensors added, in order.</summary>
    public IReadOnlyList<string> TensorNames => _tensors.Select(t => t.Name).ToArray();

    /// <summary>
    /// Sets a key, inferring the GGUF type from the CLR type (byte -> uint8, ..., string[] -> array of
    /// string). Replaces an existing key in place.
    /// </summary>
    public void Set(string key, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (GgufValueTypes.TryScalarFromClr(value.GetType(), out var type))
            Set(new GgufMetadataEntry(key, type, null, value, 0));
        else if (GgufValueTypes.TryFromClr(value.GetType(), out type, out var elementType))
            Set(new GgufMetadataEntry(key, type, elementType, value, 0));
        else
            throw new ArgumentException($"metadata '{key}': {value.GetType()} has no GGUF value type", nameof(value));
    }

    /// <summary>Sets a key with exactly the entry's value and element types (for copying metadata).</summary>
    public void Set(GgufMetadataEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        GgufWriterChecks.CheckEntry(entry);
        var stored = entry with { Offset = 0, Value = entry.Value is Array a ? a.Clone() : entry.Value };
        var index = FindIndex(entry.Key);
        if (index >= 0)
            _entries[index] = stored;
        else
            _entries.Add(stored);
    }

    public bool Remove(string key)
    {
        var index = FindIndex(key);
        if (index < 0)
            return false;
        _entries.RemoveAt(index);
        return true;
    }

    /// <summary>Adds a tensor whose bytes are in memory (kept by reference until written).</summary>
    public void AddTensor(string name, GgmlType type, long[] dimensions, ReadOnlyMemory<byte> data)
    {
        var byteSize = GgufWriterChecks.CheckTensor(name, type, dimensions, _tensorNames);
        if (data.Length != byteSize)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes given, its shape and type need {byteSize}", nameof(data));
        AddChecked(new PendingTensor(name, type, (long[])dimensions.Clone(), byteSize, data, null));
    }

    /// <summary>
    /// Adds a tensor whose bytes are produced while the file is written: <paramref name="writeData"/>
    /// must write exactly the tensor's byte size to the stream it gets (checked, naming the tensor).
    /// </summary>
    public void AddTensor(string name, GgmlType type, long[] dimensions, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        var byteSize = GgufWriterChecks.CheckTensor(name, type, dimensions, _tensorNames);
        AddChecked(new PendingTensor(name, type, (long[])dimensions.Clone(), byteSize, default, writeData));
    }

    public void WriteTo(string path) => WriteFile(path, FileEntries(), _tensors);

    public void WriteTo(Stream stream) => GgufEncoder.Write(stream, FileEntries(), _tensors, Alignment);

    /// <summary>
    /// Writes the model as parts PREFIX-00001-of-0000N.gguf with at most <paramref name="maxTensorsPerPart"/>
    /// tensors each. The first part holds all metadata; every part holds the split keys (and the
    /// alignment when not 32). Returns the part paths in order.
    /// </summary>
    public IReadOnlyList<string> WriteSplit(string pathPrefix, int maxTensorsPerPart)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathPrefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTensorsPerPart, 1);
        var partCount = Math.Max(1, (_tensors.Count + maxTensorsPerPart - 1) / maxTensorsPerPart);
        if (partCount > GgufSplitName.MaxParts)
            throw new ArgumentException($"{partCount} parts exceed the limit of {GgufSplitName.MaxParts}", nameof(maxTensorsPerPart));

        var paths = new List<string>(partCount);
        for (var i = 0; i < partCount; i++)
        {
            var entries = i == 0 ? FileEntries() : _entries.Where(e => e.Key == GgufKeys.Alignment).ToList();
            entries.Add(new GgufMetadataEntry(GgufKeys.SplitNo, GgufValueType.UInt16, null, (ushort)i, 0));
            entries.Add(new GgufMetadataEntry(GgufKeys.SplitCount, GgufValueType.UInt16, null, (ushort)partCount, 0));
            entries.Add(new GgufMetadataEntry(GgufKeys.SplitTensorsCount, GgufValueType.Int32, null, _tensors.Count, 0));
            var path = GgufSplitName.Format(pathPrefix, i + 1, partCount);
            WriteFile(path, entries, _tensors.Skip(i * maxTensorsPerPart).Take(maxTensorsPerPart).ToArray());
            paths.Add(path);
        }
        return paths;
    }

    private void WriteFile(string path, IReadOnlyList<GgufMetadataEntry> entries, IReadOnlyList<PendingTensor> tensors)
    {
        // GgufOutput has its own 1 MiB buffer, so the FileStream itself does not buffer.
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.SequentialScan);
        try
        {
            using (stream)
                GgufEncoder.Write(stream, entries, tensors, Alignment);
        }
        catch
        {
            File.Delete(path); // never leave a half-written model behind
            throw;
        }
    }

    /// <summary>Entries to write to an unsplit file: everything but the split keys.</summary>
    private List<GgufMetadataEntry> FileEntries() =>
        _entries.Where(e => e.Key is not (GgufKeys.SplitNo or GgufKeys.SplitCount or GgufKeys.SplitTensorsCount)).ToList();

    private void AddChecked(PendingTensor tensor)
    {
        _tensorNames.Add(tensor.Name);
        _tensors.Add(tensor);
    }

    private int FindIndex(string key) => _entries.FindIndex(e => e.Key == key);
}
