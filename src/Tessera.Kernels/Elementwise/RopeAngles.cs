using System.Collections.Concurrent;

namespace Tessera.Kernels.Elementwise;

/// <summary>
/// RoPE's cos and sin per (position, pair), computed once per model settings and shared: every layer, and the queries
/// and keys of each, rotate a token by the same angles, and the double-precision pow, cos and sin per pair cost more
/// than the rotation itself (3% of a prompt on a small model). A table covers positions 0..<see cref="Positions"/> - 1,
/// grown by doubling up to <see cref="MaxPositions"/>; later positions compute their angles on the spot, with the
/// same arithmetic, so results do not depend on which path ran.
/// </summary>
internal sealed class RopeAngles
{
    /// <summary>Largest table (positions): 8192 x 64 pairs x 2 floats is 4 MiB for a 128-wide head.</summary>
    public const int MaxPositions = 8192;

    private const int FirstPositions = 1024;

    private static readonly ConcurrentDictionary<(RopeOptions Options, int Pairs), RopeAngles> Tables = new();

    private readonly int _pairs;
    private readonly float[] _cos;
    private readonly float[] _sin;

    private RopeAngles(in RopeOptions options, int pairs, int positions)
    {
        _pairs = pairs;
        Positions = positions;
        _cos = new float[positions * pairs];
        _sin = new float[positions * pairs];
        for (int p = 0; p < positions; p++)
            Compute(options, pairs, p, _cos.AsSpan(p * pairs, pairs), _sin.AsSpan(p * pairs, pairs));
    }

    public int Positions { get; }

    public ReadOnlySpan<float> Cos(int position) => _cos.AsSpan(position * _pairs, _pairs);

    public ReadOnlySpan<float> Sin(int position) => _sin.AsSpan(position * _pairs, _pairs);

    /// <summary>The shared table holding <paramref name="position"/>, or null past <see cref="MaxPositions"/>.</summary>
    public static RopeAngles? For(in RopeOptions options, int pairs, int position)
    {
        if (position >= MaxPositions || !float.IsFinite(options.FrequencyBase) || !float.IsFinite(options.FrequencyScale))
            return null;   // NaN settings would never match their own key: compute those on the spot
        var key = (options, pairs);
        if (Tables.TryGetValue(key, out var table) && position < table.Positions)
            return table;
        // Grow by doubling; two threads may both build one, and either result is the same table.
        int positions = Math.Max(table?.Positions * 2 ?? FirstPositions, FirstPositions);
        while (positions <= position)
            positions *= 2;
        var grown = new RopeAngles(options, pairs, Math.Min(positions, MaxPositions));
        Tables[key] = grown;
        return grown;
    }

    /// <summary>The angles of one position: position * frequencyScale * frequencyBase^(-2i / rotaryDims), in double
    /// (in float, position * base^(-2i/d) loses precision at long contexts).</summary>
    public static void Compute(in RopeOptions options, int pairs, int position, Span<float> cos, Span<float> sin)
    {
        int rotary = 2 * pairs;
        for (int i = 0; i < pairs; i++)
        {
            double angle = position * (double)options.FrequencyScale * Math.Pow(options.FrequencyBase, -2.0 * i / rotary);
            cos[i] = (float)Math.Cos(angle);
            sin[i] = (float)Math.Sin(angle);
        }
    }
}
