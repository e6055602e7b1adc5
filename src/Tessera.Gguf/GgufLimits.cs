namespace Tessera.Gguf;

/// <summary>
/// Caps on every count and length a GGUF file declares. A file is also checked against the bytes
/// that remain, but these caps keep a corrupt count from asking for absurd work or memory even when
/// the file is large, and make the reader's worst case easy to reason about.
/// </summary>
public static class GgufLimits
{
    /// <summary>Keys are short dotted names ("llama.attention.head_count"); 64 KiB is far beyond any real key.</summary>
    public const int MaxKeyBytes = 65535;

    /// <summary>
    /// ggml keeps tensor names in a 64-byte buffer with a terminating NUL, so no loadable file has a
    /// longer name than 63 bytes; the writer enforces the same so our files load everywhere.
    /// </summary>
    public const int MaxTensorNameBytes = 63;

    /// <summary>Metadata strings: the largest real ones are chat templates of some tens of KiB; 64 MiB leaves room.</summary>
    public const long MaxStringBytes = 64L << 20;

    /// <summary>Real files carry tens of keys; a million means the count field is garbage.</summary>
    public const long MaxKeyValueCount = 1 << 20;

    /// <summary>The largest models have a few thousand tensors (experts are stored merged); a million is generous.</summary>
    public const long MaxTensorCount = 1 << 20;

    /// <summary>
    /// Vocabularies and merge lists have a few hundred thousand entries; 2^26 elements is far above
    /// that yet keeps a typed array well below the 2 GiB array limit (2^26 x 8 bytes = 512 MiB).
    /// </summary>
    public const long MaxArrayLength = 1 << 26;

    /// <summary>ggml tensors have at most four dimensions.</summary>
    public const int MaxDimensions = 4;

    /// <summary>Alignment of tensor data when general.alignment is absent.</summary>
    public const int DefaultAlignment = 32;
}
