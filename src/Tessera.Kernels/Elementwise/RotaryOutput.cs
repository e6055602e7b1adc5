namespace Tessera.Kernels.Elementwise;

/// <summary>
/// RoPE to apply to a product's output as it is written (a layer's q or k): the output's rows form heads of
/// <see cref="HeadDim"/> values, and token t of the product sits at position <see cref="FirstPosition"/> + t.
/// The default value (<see cref="HeadDim"/> 0) means no rotation.
/// </summary>
public readonly record struct RotaryOutput(int HeadDim, int FirstPosition, RopeOptions Options)
{
    public bool IsSet => HeadDim > 0;

    /// <summary>Rotates the outputs of <paramref name="tokens"/> tokens, <paramref name="rows"/> values each, in place.</summary>
    public unsafe void Apply(float* y, long rows, int tokens)
    {
        int heads = CheckedHeads(rows);
        for (int t = 0; t < tokens; t++)
            Rope.Apply(new Span<float>(y + t * rows, (int)rows), heads, HeadDim, FirstPosition + t, Options);
    }

    /// <summary>Heads in an output of <paramref name="rows"/> values; throws unless they are whole heads.</summary>
    public int CheckedHeads(long rows)
    {
        if (HeadDim <= 0 || rows % HeadDim != 0 || rows / HeadDim > int.MaxValue)
            throw new ArgumentException($"an output of {rows} values is not a whole number of heads of {HeadDim}");
        return (int)(rows / HeadDim);
    }
}
