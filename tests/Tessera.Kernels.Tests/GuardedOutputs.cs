using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// An output buffer longer than the product's [tokens, rows], filled with a NaN of its own payload, so a kernel that
/// writes past its outputs (a padded tile row or token) is seen even when what it writes is itself a NaN: afterwards
/// the outputs hold numbers and the rest holds the same bits as before.
/// </summary>
internal static class GuardedOutputs
{
    /// <summary>Floats past the outputs that must keep <see cref="Sentinel"/>.</summary>
    private const int Guard = 64;

    /// <summary>A quiet NaN no arithmetic produces (a kernel's NaN carries its operands' payload or the default one).</summary>
    private static readonly float Sentinel = BitConverter.Int32BitsToSingle(0x7FC0_DEAD);

    public static float[] Create(int outputs)
    {
        var y = new float[outputs + Guard];
        Array.Fill(y, Sentinel);
        return y;
    }

    public static void AssertOnlyOutputsWritten(float[] y, int outputs)
    {
        Assert.All(y[..outputs], value => Assert.False(float.IsNaN(value)));
        Assert.All(y[outputs..], value => Assert.Equal(BitConverter.SingleToInt32Bits(Sentinel), BitConverter.SingleToInt32Bits(value)));
    }

    /// <summary>A matrix product under test: Y[tokens, rows] = X[tokens, k] · W[rows, k]^T.</summary>
    public unsafe delegate void Product(byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool);

    /// <summary>A product of random <paramref name="type"/> rows (<paramref name="activationType"/> activations) and
    /// random tokens into a guarded output.</summary>
    public static unsafe void AssertProductWritesOnlyItsOutputs(GgmlType type, GgmlType activationType, int rowCount, int k, int tokens,
        Product product)
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        var weights = new QuantizedRows(type, activationType, k, rowCount, random);
        var x = random.Floats(tokens * k);
        var y = Create(tokens * rowCount);
        fixed (byte* w = weights.Weights)
        fixed (float* xs = x)
        fixed (float* ys = y)
            product(w, rowCount, k, xs, tokens, ys, pool);
        AssertOnlyOutputsWritten(y, tokens * rowCount);
    }
}
