namespace Tessera.Models;

/// <summary>
/// How per-token hidden states become one vector per sequence: the values of the GGUF key `{arch}.pooling_type`
/// (llama.cpp's numbering).
/// </summary>
public enum PoolingType
{
    /// <summary>No pooling: per-token vectors (embedders fall back to <see cref="Mean"/>).</summary>
    None = 0,
    /// <summary>Average over the sequence's tokens.</summary>
    Mean = 1,
    /// <summary>The first token's state ([CLS]).</summary>
    Cls = 2,
    /// <summary>The last token's state (decoder embedding models).</summary>
    Last = 3,
}
