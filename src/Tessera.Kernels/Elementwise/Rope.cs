namespace Tessera.Kernels.Elementwise;

/// <summary>Which dimensions RoPE rotates together.</summary>
public enum RopeStyle
{
    /// <summary>Adjacent pairs (2i, 2i+1) — the original LLaMA layout.</summary>
    Normal,
    /// <summary>Pairs (i, i + rotaryDims/2) — GPT-NeoX, Qwen2/3 and others.</summary>
    Neox,
}

/// <summary>RoPE settings of a model. <see cref="RotaryDimensions"/> 0 means the whole head.</summary>
public readonly record struct RopeOptions(RopeStyle Style, float FrequencyBase = 10000f, float FrequencyScale = 1f, int RotaryDimensions = 0);

/// <summary>
/// Rotary position embedding. Pair i of a head (i in 0..rotaryDims/2-1) is rotated by the angle
/// position * frequencyScale * frequencyBase^(-2i / rotaryDims); dimensions past rotaryDims are left as they are.
/// </summary>
public static class Rope
{
    /// <summary>Largest head dimension supported; the angle table lives on the stack.</summary>
    public const int MaxHeadDimension = 1024;

    /// <summary>Rotates every head of one token's vector <paramref name="x"/> [headCount, headDim] in place.</summary>
    public static void Apply(Span<float> x, int headCount, int headDim, int position, in RopeOptions options)
    {
        int rotary = options.RotaryDimensions == 0 ? headDim : options.RotaryDimensions;
        if (headDim <= 0 || headDim > MaxHeadDimension)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"head dimension must be 1..{MaxHeadDimension}");
        if (rotary <= 0 || rotary > headDim || rotary % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(options), rotary, $"rotary dimensions must be even and at most the head dimension {headDim}");
        if (headCount <= 0 || x.Length != headCount * headDim)
            throw new ArgumentException($"vector has {x.Length} elements, expected {headCount} heads x {headDim}", nameof(x));
        ArgumentOutOfRangeException.ThrowIfNegative(position);

        int pairs = rotary / 2;
        Span<float> cosBuffer = stackalloc float[pairs];
        Span<float> sinBuffer = stackalloc float[pairs];
        scoped ReadOnlySpan<float> cos, sin;
        if (RopeAngles.For(options, pairs, position) is { } table)
        {
            cos = table.Cos(position);
            sin = table.Sin(position);
        }
        else
        {
            RopeAngles.Compute(options, pairs, position, cosBuffer, sinBuffer);
            cos = cosBuffer;
            sin = sinBuffer;
        }

        // In the normal style pair i is (2i, 2i+1); in NeoX it is (i, i + pairs).
        int firstStride = options.Style == RopeStyle.Normal ? 2 : 1;
        int secondOffset = options.Style == RopeStyle.Normal ? 1 : pairs;
        for (int h = 0; h < headCount; h++)
        {
            var head = x.Slice(h * headDim, headDim);
            for (int i = 0; i < pairs; i++)
            {
                int a = i * firstStride;
                int b = a + secondOffset;
                float x0 = head[a], x1 = head[b];
                head[a] = x0 * cos[i] - x1 * sin[i];
                head[b] = x0 * sin[i] + x1 * cos[i];
            }
        }
    }
}
