using Tessera.Tensors;

namespace Tessera.Gguf.Writing;

/// <summary>A tensor queued in a <see cref="GgufWriter"/>: its info and where its bytes come from.</summary>
internal sealed record PendingTensor(string Name, GgmlType Type, long[] Dimensions, long ByteSize,
    ReadOnlyMemory<byte> Data, Action<Stream>? WriteData);
