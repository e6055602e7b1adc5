namespace Tessera.Kernels.Threading;

/// <summary>
/// Packs work items of known cost onto a fixed number of workers so the busiest worker finishes early: the longest
/// item first, each to the worker with the least work so far (Graham's LPT rule). Its makespan is within
/// 4/3 - 1/(3m) of the optimum for m workers, and within the optimum plus one item in any case.
/// </summary>
public static class LongestFirstPacking
{
    /// <summary>
    /// Assigns each item a bin (worker) in 0..<paramref name="binCount"/>-1 and returns the makespan (the largest
    /// bin's total cost). Allocation-free: <paramref name="order"/> and <paramref name="keys"/> are scratch of the
    /// item count.
    /// </summary>
    /// <param name="costs">[items] each item's estimated cost, non-negative</param>
    /// <param name="binOfItem">[items] out: the bin of each item</param>
    /// <param name="binLoads">[bins] out: each bin's total cost</param>
    public static double Pack(ReadOnlySpan<double> costs, Span<int> binOfItem, Span<double> binLoads, Span<int> order, Span<double> keys)
    {
        int items = costs.Length;
        int bins = binLoads.Length;
        if (bins < 1)
            throw new ArgumentOutOfRangeException(nameof(binLoads), "at least one bin is needed");
        if (binOfItem.Length < items || order.Length < items || keys.Length < items)
            throw new ArgumentException("scratch spans are shorter than the item count");
        for (int i = 0; i < items; i++)
        {
            if (!(costs[i] >= 0))
                throw new ArgumentOutOfRangeException(nameof(costs), costs[i], $"item {i}: cost must be non-negative");
            order[i] = i;
            keys[i] = -costs[i];   // ascending keys = descending costs; equal costs keep no particular order
        }
        keys[..items].Sort(order[..items]);
        binLoads.Clear();
        foreach (int item in order[..items])
        {
            int lightest = 0;
            for (int b = 1; b < bins; b++)
            {
                if (binLoads[b] < binLoads[lightest])
                    lightest = b;
            }
            binOfItem[item] = lightest;
            binLoads[lightest] += costs[item];
        }
        double makespan = 0;
        foreach (double load in binLoads)
            makespan = Math.Max(makespan, load);
        return makespan;
    }
}
