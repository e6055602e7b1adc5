namespace Tessera.Models.Experts;

/// <summary>Orders a layer's experts by how often they were chosen (counts of earlier runs plus this one's), most
/// first, ties to the lower id: the order both expert tiers fill their fast memory in.</summary>
public static class ExpertRanking
{
    /// <param name="seed">[layers, experts] counts of earlier runs (empty for none)</param>
    /// <param name="order">[experts] out: expert ids, most chosen first</param>
    public static void MostChosen(ExpertStatistics statistics, ReadOnlySpan<long> seed, int layer, Span<int> order)
    {
        int experts = statistics.ExpertCount;
        Span<long> counts = stackalloc long[experts];
        for (int e = 0; e < experts; e++)
        {
            counts[e] = (seed.IsEmpty ? 0 : seed[layer * experts + e]) + statistics.Selections(layer, e);
            order[e] = e;
        }
        // Insertion sort: stable (ties keep id order) and allocation-free; expert counts are small.
        for (int i = 1; i < experts; i++)
        {
            int expert = order[i];
            int j = i;
            for (; j > 0 && counts[order[j - 1]] < counts[expert]; j--)
                order[j] = order[j - 1];
            order[j] = expert;
        }
    }
}
