namespace Tessera.Testing;

/// <summary>Helpers over logit rows shared by the tests.</summary>
public static class Logits
{
    /// <summary>Index of the largest value (the first of equal ones): the greedy choice.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }
        return best;
    }
}
