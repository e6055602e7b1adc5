namespace Tessera.Gguf.Reading;

/// <summary>Everything parsed and validated from one GGUF file (one split part).</summary>
/// <param name="DataStart">File offset of the data section; tensor offsets are relative to it.</param>
internal sealed record GgufHeader(uint Version, long Alignment, GgufMetadata Metadata, GgufTensorInfo[] Tensors, long DataStart, long Length);
