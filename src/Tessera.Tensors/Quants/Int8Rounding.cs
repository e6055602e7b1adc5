namespace Tessera.Tensors.Quants;

/// <summary>The int8 rounding shared by Q8_0 and Q8_1.</summary>
internal static class Int8Rounding
{
    /// <summary>q[i] = round(x[i] * inverseScale), ties away from zero; returns sum(q).</summary>
    public static int RoundScaled(ReadOnlySpan<float> x, float inverseScale, Span<sbyte> q)
    {
        int sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int v = (int)MathF.Round(x[i] * inverseScale, MidpointRounding.AwayFromZero);
            q[i] = (sbyte)v;
            sum += v;
        }
        return sum;
    }
}
