using System.Numerics.Tensors;

namespace Tessera.Kernels.Elementwise;

/// <summary>The gated FFN activation: output = silu(gate) * up, with silu(g) = g * sigmoid(g).</summary>
public static class SwiGlu
{
    /// <summary><paramref name="output"/> may alias <paramref name="gate"/> or <paramref name="up"/>.</summary>
    public static void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        if (up.Length != gate.Length)
            throw new ArgumentException($"up has {up.Length} elements, gate has {gate.Length}", nameof(up));
        if (output.Length < gate.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {gate.Length}", nameof(output));
        var result = output[..gate.Length];
        // Chunked so sigmoid(gate) never overwrites a gate or up value that is still needed when output aliases them.
        Span<float> sigmoid = stackalloc float[ChunkLength];
        for (int start = 0; start < gate.Length; start += ChunkLength)
        {
            int length = Math.Min(ChunkLength, gate.Length - start);
            var s = sigmoid[..length];
            TensorPrimitives.Sigmoid(gate.Slice(start, length), s);
            TensorPrimitives.Multiply(s, gate.Slice(start, length), s);
            TensorPrimitives.Multiply(s, up.Slice(start, length), result.Slice(start, length));
        }
    }

    /// <summary>Chunk of elements processed per step; small enough for the stack and L1.</summary>
    private const int ChunkLength = 1024;
}
