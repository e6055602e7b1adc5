namespace Tessera.Cli.Synth;

/// <summary>
/// Fast deterministic N(0, 1) samples for random-weight models: a counter-based generator (SplitMix64, so any row can
/// be produced independently and in parallel) feeding an inverse-CDF table with linear interpolation.
/// Samples lie within about ±3.9 sigma, which is all a stand-in weight needs; generating a 1B-parameter model stays
/// a matter of seconds.
/// </summary>
public static class NormalSampler
{
    private const int TableBits = 12;
    private const int TableSize = 1 << TableBits;
    private static readonly float[] InverseCdf = BuildInverseCdf();

    /// <summary>Fills <paramref name="destination"/> with mean + stddev * N(0,1), determined only by <paramref name="seed"/>.</summary>
    public static void Fill(ulong seed, Span<float> destination, float mean, float stddev)
    {
        ulong state = seed;
        int i = 0;
        while (i < destination.Length)
        {
            ulong bits = SplitMix64(ref state);
            destination[i++] = mean + stddev * Sample((uint)bits & 0xFFFFFF);
            if (i < destination.Length)
                destination[i++] = mean + stddev * Sample((uint)(bits >> 40));
        }
    }

    /// <summary>Mixes several values into one well-spread seed.</summary>
    public static ulong Seed(ulong a, ulong b)
    {
        ulong state = a ^ (b * 0x9E3779B97F4A7C15UL);
        return SplitMix64(ref state);
    }

    /// <summary>A stable seed for a tensor name (FNV-1a), so each tensor's values do not depend on tensor order.</summary>
    public static ulong Seed(ulong seed, string name)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in name)
            hash = (hash ^ c) * 0x100000001B3UL;
        return Seed(seed, hash);
    }

    private static float Sample(uint u24)
    {
        uint index = u24 >> (24 - TableBits);
        float fraction = (u24 & ((1u << (24 - TableBits)) - 1)) * (1f / (1 << (24 - TableBits)));
        float lo = InverseCdf[index], hi = InverseCdf[index + 1];
        return lo + (hi - lo) * fraction;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// Quantiles of the standard normal at p = (i + 0.5) / (TableSize + 1), found by integrating the density
    /// numerically (trapezoids on [-8, 8]) and inverting the running sum.
    /// </summary>
    private static float[] BuildInverseCdf()
    {
        const int steps = 1 << 18;
        const double from = -8, to = 8, h = (to - from) / steps;
        var table = new float[TableSize + 1];
        double cdf = 0, x = from, previousDensity = Density(from);
        int next = 0;
        for (int s = 1; s <= steps && next <= TableSize; s++)
        {
            double x1 = from + s * h, density = Density(x1);
            double cdf1 = cdf + 0.5 * (previousDensity + density) * h;
            while (next <= TableSize && (next + 0.5) / (TableSize + 1) <= cdf1)
            {
                double target = (next + 0.5) / (TableSize + 1);
                table[next++] = (float)(x + (x1 - x) * (target - cdf) / (cdf1 - cdf));
            }
            (x, cdf, previousDensity) = (x1, cdf1, density);
        }
        return table;
    }

    private static double Density(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
}
