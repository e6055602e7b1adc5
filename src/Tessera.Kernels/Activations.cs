using Tessera.Kernels.Quants.Q8_0;
using Tessera.Kernels.Quants.Q8_1;
using Tessera.Kernels.Quants.Q8_K;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>Quantizes an F32 activation row to the types the integer dot products take (Q8_0, Q8_1, Q8_K).</summary>
public static unsafe class Activations
{
    public static void QuantizeRow(GgmlType activationType, ReadOnlySpan<float> x, Span<byte> destination)
    {
        var traits = GgmlTypeTraits.Of(activationType);
        delegate*<float*, int, byte*, void> quantize = activationType switch
        {
            GgmlType.Q8_0 => &Q8_0Activations.Quantize,
            GgmlType.Q8_1 => &Q8_1Activations.Quantize,
            GgmlType.Q8_K => &Q8_KActivations.Quantize,
            _ => throw new ArgumentException($"{activationType} is not an activation type (Q8_0, Q8_1, Q8_K)", nameof(activationType)),
        };
        if (x.Length % traits.BlockSize != 0)
            throw new ArgumentException($"row of {x.Length} is not a whole number of {traits.Name} blocks of {traits.BlockSize}", nameof(x));
        long bytes = traits.BytesFor(x.Length);
        if (destination.Length < bytes)
            throw new ArgumentException($"destination has {destination.Length} bytes, needs {bytes}", nameof(destination));
        fixed (float* source = x)
        fixed (byte* target = destination)
            quantize(source, x.Length, target);
    }
}
