namespace Tessera.Kernels.Tests;

/// <summary>
/// An output buffer longer than the product's [tokens, rows], filled with NaN, so a kernel that writes past its
/// outputs (a padded tile row or token) is seen: afterwards the outputs hold numbers and the rest is untouched.
/// </summary>
internal static class GuardedOutputs
{
    /// <summary>Floats past the outputs that must stay NaN.</summary>
    private const int Guard = 64;

    public static float[] Create(int outputs)
    {
        var y = new float[outputs + Guard];
        Array.Fill(y, float.NaN);
        return y;
    }

    public static void AssertOnlyOutputsWritten(float[] y, int outputs)
    {
        Assert.All(y[..outputs], value => Assert.False(float.IsNaN(value)));
        Assert.All(y[outputs..], value => Assert.True(float.IsNaN(value)));
    }
}
