namespace Tessera.Tensors.Tests;

/// <summary>Fresh random test data each run; the seed goes into assertion messages so a failure can be replayed.</summary>
internal sealed class RandomData
{
    public int Seed { get; }
    private readonly Random _random;

    public RandomData(int? seed = null)
    {
        Seed = seed ?? Random.Shared.Next();
        _random = new Random(Seed);
    }

    public int Next(int minInclusive, int maxExclusive) => _random.Next(minInclusive, maxExclusive);

    public uint NextBits() => (uint)_random.NextInt64(0, 1L << 32);

    /// <summary>Values ~ scale · N(0, 1) (Box-Muller), like model weights.</summary>
    public float[] Gaussian(int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - _random.NextDouble(), u2 = _random.NextDouble();
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return values;
    }

    public override string ToString() => $"seed {Seed}";
}
