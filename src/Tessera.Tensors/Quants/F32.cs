using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>F32: little-endian IEEE single, 4 bytes per value; (de)quantizing is a copy.</summary>
public static class F32
{
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        BlockCodec.CheckSizes(GgmlType.F32, destination.Length, source.Length, nameof(destination));
        source.CopyTo(MemoryMarshal.Cast<byte, float>(destination));
    }

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        BlockCodec.CheckSizes(GgmlType.F32, source.Length, destination.Length, nameof(source));
        MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
    }
}
