namespace Tessera.Gguf;

/// <summary>
/// The one error a GGUF file (or a request against its contents) raises: it names the field or
/// tensor at fault, the file offset where it sits, and the offending values in the message.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string field, long offset, string message)
        : base($"{message} (at offset 0x{offset:X})")
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>The metadata key, tensor name or header field at fault.</summary>
    public string Field { get; }

    /// <summary>File offset of the bad field (start of its entry where a finer offset is not known).</summary>
    public long Offset { get; }
}
