using Xunit.Abstractions;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>Fresh random data every run; the seed is printed and goes into failure messages, and TESSERA_TEST_SEED
/// replays one.</summary>
internal sealed class TestRandom
{
    private readonly Random _random;

    public TestRandom(ITestOutputHelper? output = null)
    {
        string? fixedSeed = Environment.GetEnvironmentVariable("TESSERA_TEST_SEED");
        Seed = fixedSeed != null ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        _random = new Random(Seed);
        output?.WriteLine($"seed {Seed}");
    }

    public int Seed { get; }

    public int Next(int min, int max) => _random.Next(min, max);

    /// <summary>Uniform values in [-scale, scale) whose scale changes every 32 elements, so block scales differ.</summary>
    public float[] Floats(int count, float scale = 1f)
    {
        var values = new float[count];
        float blockScale = scale;
        for (int i = 0; i < count; i++)
        {
            if (i % 32 == 0)
                blockScale = scale * (0.25f + 2f * (float)_random.NextDouble());
            values[i] = (float)(2 * _random.NextDouble() - 1) * blockScale;
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
