namespace Tessera.Kernels;

/// <summary>Groups indices by a small integer key in linear time, allocation-free: the MoE layer's (token, choice) pairs
/// by expert, the grouped matmul's work items by worker.</summary>
public static class CountingSort
{
    /// <summary>
    /// Writes to <paramref name="order"/> the indices 0..keys.Length-1 grouped by key, keys ascending and indices
    /// ascending within a key (stable); key k's indices are order[starts[k]..starts[k + 1]).
    /// </summary>
    /// <param name="keys">each index's key, in 0..starts.Length - 2</param>
    /// <param name="starts">[key count + 1] out: where each key's run begins, and the total at the end</param>
    /// <param name="order">[keys.Length] out</param>
    public static void Group(ReadOnlySpan<int> keys, Span<int> starts, Span<int> order)
    {
        starts.Clear();
        foreach (int key in keys)
            starts[key + 1]++;
        for (int k = 1; k < starts.Length; k++)
            starts[k] += starts[k - 1];
        // Placing advances each key's start to its end, which is the next key's start: shift back once done.
        for (int i = 0; i < keys.Length; i++)
            order[starts[keys[i]]++] = i;
        for (int k = starts.Length - 1; k > 0; k--)
            starts[k] = starts[k - 1];
        starts[0] = 0;
    }
}
