namespace Tessera.Gguf.Reading;

/// <summary>One file of a model: its memory and its parsed header.</summary>
internal sealed unsafe class GgufPart : IDisposable
{
    private GgufPart(string source, GgufMemory memory, GgufHeader header)
    {
        Source = source;
        Memory = memory;
        Header = header;
    }

    /// <summary>The path (or given name) of this part, for messages.</summary>
    public string Source { get; }

    public GgufMemory Memory { get; }

    public GgufHeader Header { get; }

    public static GgufPart Load(string path, int splitIndex, GgufLoadMode mode)
    {
        return Create(path, mode == GgufLoadMode.Copy ? new CopiedGgufMemory(path) : new MappedGgufMemory(path), splitIndex);
    }

    public static GgufPart Pin(ReadOnlyMemory<byte> bytes, string name) => Create(name, new PinnedGgufMemory(bytes), 0);

    private static GgufPart Create(string source, GgufMemory memory, int splitIndex)
    {
        try
        {
            var header = GgufHeaderParser.Parse(memory.Pointer, memory.Length, source, splitIndex);
            return new GgufPart(source, memory, header);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    public void Dispose() => Memory.Dispose();
}
