using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Elementwise;

/// <summary>The gated FFN activation: output = silu(gate) * up, with silu(g) = g * sigmoid(g).</summary>
public static class SwiGlu
{
    /// <summary><paramref name="output"/> may alias <paramref name="gate"/> or <paramref name="up"/>.</summary>
    /// <remarks>Sixteen or eight values at a time with <see cref="FastExp"/> (silu(g) = g / (1 + e^-g), the same steps
    /// at either width, so the same result per element); a tail of fewer than eight goes through the vector code,
    /// padded. So every element is computed the same way wherever it lies: decode calls this 256 values at a time
    /// (<see cref="MatVec.ComputeGated"/>) and must match a whole-row call.</remarks>
    [SkipLocalsInit]
    public static unsafe void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        if (up.Length != gate.Length)
            throw new ArgumentException($"up has {up.Length} elements, gate has {gate.Length}", nameof(up));
        if (output.Length < gate.Length)
            throw new ArgumentException($"output has {output.Length} elements, needs {gate.Length}", nameof(output));
        int length = gate.Length;
        if (!Vector256.IsHardwareAccelerated)
        {
            for (int j = 0; j < length; j++)
                output[j] = gate[j] / (1f + MathF.Exp(-gate[j])) * up[j];
            return;
        }
        fixed (float* g = gate, u = up, o = output)
        {
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; i + 16 <= length; i += 16)
                    Activate(Vector512.Load(g + i), Vector512.Load(u + i)).Store(o + i);
            }
            for (; i + 8 <= length; i += 8)
                Activate(Vector256.Load(g + i), Vector256.Load(u + i)).Store(o + i);
            if (i < length)
            {
                float* gatePad = stackalloc float[8];
                float* upPad = stackalloc float[8];
                int tail = length - i;
                for (int j = 0; j < 8; j++)
                {
                    gatePad[j] = j < tail ? g[i + j] : 0f;
                    upPad[j] = j < tail ? u[i + j] : 0f;
                }
                var result = Activate(Vector256.Load(gatePad), Vector256.Load(upPad));
                for (int j = 0; j < tail; j++)
                    o[i + j] = result[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Activate(Vector512<float> gate, Vector512<float> up) =>
        gate / (Vector512<float>.One + FastExp.Exp(-gate)) * up;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Activate(Vector256<float> gate, Vector256<float> up) =>
        gate / (Vector256<float>.One + FastExp.Exp(-gate)) * up;
}
