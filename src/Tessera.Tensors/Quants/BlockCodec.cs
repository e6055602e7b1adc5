using System.Runtime.InteropServices;

namespace Tessera.Tensors.Quants;

/// <summary>
/// Runs a block type's per-block reference over whole rows, after checking that the byte span holds
/// exactly the blocks of the float span (whole blocks only).
/// </summary>
public static class BlockCodec
{
    public static void Dequantize<TBlock>(ReadOnlySpan<byte> source, Span<float> destination)
        where TBlock : unmanaged, IQuantBlock<TBlock>
    {
        int n = TBlock.ElementCount;
        CheckSizes<TBlock>(source.Length, destination.Length, nameof(source));
        ReadOnlySpan<TBlock> blocks = MemoryMarshal.Cast<byte, TBlock>(source);
        for (int i = 0; i < blocks.Length; i++)
            TBlock.DequantizeBlock(in blocks[i], destination.Slice(i * n, n));
    }

    public static void Quantize<TBlock>(ReadOnlySpan<float> source, Span<byte> destination)
        where TBlock : unmanaged, IQuantBlock<TBlock>
    {
        int n = TBlock.ElementCount;
        CheckSizes<TBlock>(destination.Length, source.Length, nameof(destination));
        Span<TBlock> blocks = MemoryMarshal.Cast<byte, TBlock>(destination);
        for (int i = 0; i < blocks.Length; i++)
            TBlock.QuantizeBlock(source.Slice(i * n, n), out blocks[i]);
    }

    /// <summary>Throws unless <paramref name="elementCount"/> is whole blocks and <paramref name="byteCount"/> is exactly their bytes.</summary>
    public static void CheckSizes(GgmlType type, int byteCount, int elementCount, string parameterName)
    {
        var traits = GgmlTypeTraits.Of(type);
        if (elementCount % traits.BlockSize != 0)
            throw new ArgumentException($"{elementCount} elements is not a whole number of {traits.Name} blocks of {traits.BlockSize}", parameterName);
        long expectedBytes = (long)elementCount / traits.BlockSize * traits.BlockBytes;
        if (byteCount != expectedBytes)
            throw new ArgumentException($"{traits.Name}: {elementCount} elements take {expectedBytes} bytes, got {byteCount}", parameterName);
    }

    private static void CheckSizes<TBlock>(int byteCount, int elementCount, string parameterName)
        where TBlock : unmanaged, IQuantBlock<TBlock> =>
        CheckSizes(TBlock.Type, byteCount, elementCount, parameterName);
}
