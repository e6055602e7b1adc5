namespace Tessera.Gguf;

/// <summary>
/// The one error a GGUF file (or a request against its contents) raises: it names the field or
/// tensor at fault, the file offset where it sits, and the offending values in the message.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string field, long offset, string message)
        : base(offset >= 0 ? $"{message} (at offset 0x{offset:X})" : message)
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>The metadata key, tensor name or header field at fault.</summary>
    public string Field { get; }

    /// <summary>
    /// File offset of the bad field (the start of its entry where a finer offset is not known);
    /// -1 when the culprit has no place in the file, such as a missing key, tensor or split part.
    /// </summary>
    public long Offset { get; }
}
