namespace Tessera.Kernels.Tests;

/// <summary>Fresh random data every run; the seed goes into every failure message so a failure can be replayed
/// by setting TESSERA_TEST_SEED.</summary>
internal sealed class TestRandom
{
    private readonly Random _random;

    public TestRandom()
    {
        string? fixedSeed = Environment.GetEnvironmentVariable("TESSERA_TEST_SEED");
        Seed = fixedSeed != null ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        _random = new Random(Seed);
    }

    public int Seed { get; }

    public int Next(int min, int max) => _random.Next(min, max);

    public float Normal()
    {
        // Box-Muller; never exactly zero so no row is degenerate.
        double u1 = 1.0 - _random.NextDouble(), u2 = _random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Normal values with a scale that changes every 32 elements, so block scales differ.</summary>
    public float[] Floats(int count, float scale = 1f)
    {
        var values = new float[count];
        float blockScale = scale;
        for (int i = 0; i < count; i++)
        {
            if (i % 32 == 0)
                blockScale = scale * (0.25f + 2f * (float)_random.NextDouble());
            values[i] = Normal() * blockScale;
        }
        return values;
    }

    /// <summary>0..count-1 in random order.</summary>
    public int[] Permutation(int count)
    {
        int[] values = Enumerable.Range(0, count).ToArray();
        _random.Shuffle(values);
        return values;
    }

    public override string ToString() => $"seed {Seed}";
}
