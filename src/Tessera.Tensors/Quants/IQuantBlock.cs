namespace Tessera.Tensors.Quants;

/// <summary>
/// One block of a block-quantized type: <see cref="ElementCount"/> floats stored in
/// <c>GgmlTypeTraits.Of(Type).BlockBytes</c> bytes. Lets <see cref="BlockCodec"/> drive every type with one loop.
/// </summary>
public interface IQuantBlock<TSelf> where TSelf : unmanaged, IQuantBlock<TSelf>
{
    static abstract GgmlType Type { get; }

    /// <summary>Values per block (32, or 256 for the K-quants).</summary>
    static abstract int ElementCount { get; }

    /// <summary>Writes the block's <see cref="ElementCount"/> values to <paramref name="destination"/>.</summary>
    static abstract void DequantizeBlock(in TSelf block, Span<float> destination);

    /// <summary>Encodes <see cref="ElementCount"/> values of <paramref name="source"/> into <paramref name="block"/>.</summary>
    static abstract void QuantizeBlock(ReadOnlySpan<float> source, out TSelf block);
}
