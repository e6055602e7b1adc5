namespace Tessera.Backends.OpenCL.Tests;

internal static class Compare
{
    /// <summary>Asserts |actual - expected| ≤ tolerance·(1 + |expected|) per element, naming the first mismatch.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            if (!(error <= tolerance * (1 + Math.Abs(expected[i]))))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (error {error:G3}, tolerance {tolerance:G3})");
        }
    }
}
