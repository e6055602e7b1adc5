using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>F16: IEEE half, 2 bytes per value; conversions through <see cref="HalfConversion"/> (round to nearest even).</summary>
public static class F16
{
    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        BlockCodec.CheckSizes(GgmlType.F16, destination.Length, source.Length, nameof(destination));
        HalfConversion.ToHalf(source, MemoryMarshal.Cast<byte, ushort>(destination));
    }

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        BlockCodec.CheckSizes(GgmlType.F16, source.Length, destination.Length, nameof(source));
        HalfConversion.ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination);
    }
}
