using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>BF16 (bfloat16): the top 16 bits of an IEEE single, 2 bytes per value.</summary>
public static class BF16
{
    private const uint SingleAbsMask = 0x7FFF_FFFF;
    private const uint SingleInfinityBits = 0x7F80_0000;

    /// <summary>Sets the top mantissa bit of a bf16 NaN so that truncating the payload cannot turn it into infinity.</summary>
    private const ushort QuietNaNBit = 0x0040;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Round-to-nearest-even of the top 16 bits; NaN stays NaN (quieted), overflow rounds to infinity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & SingleAbsMask) > SingleInfinityBits)
            return (ushort)((bits >> 16) | QuietNaNBit);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    public static void Quantize(ReadOnlySpan<float> source, Span<byte> destination)
    {
        BlockCodec.CheckSizes(GgmlType.BF16, destination.Length, source.Length, nameof(destination));
        Span<ushort> halves = MemoryMarshal.Cast<byte, ushort>(destination);
        for (int i = 0; i < source.Length; i++)
            halves[i] = FromSingle(source[i]);
    }

    public static void Dequantize(ReadOnlySpan<byte> source, Span<float> destination)
    {
        BlockCodec.CheckSizes(GgmlType.BF16, source.Length, destination.Length, nameof(source));
        ReadOnlySpan<ushort> halves = MemoryMarshal.Cast<byte, ushort>(source);
        for (int i = 0; i < halves.Length; i++)
            destination[i] = ToSingle(halves[i]);
    }
}
