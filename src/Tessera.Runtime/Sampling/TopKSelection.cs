namespace Tessera.Runtime.Sampling;

/// <summary>
/// The k largest logits, ranked descending with ties to the lower id, without sorting the vocabulary: a bounded heap
/// whose root is its weakest member. One pass over the vocabulary rejects most ids eight at a time (none beats the
/// root), then a heap sort ranks the k. For logits in no particular order that is
/// O(n + k log k log(n/k)); at worst (ascending logits) O(n log k).
/// </summary>
internal static class TopKSelection
{
    /// <summary>Fills <paramref name="ranked"/> (length k, 1 &lt;= k &lt;= n) with the ids of the k best logits, best first.
    /// The logits hold no NaN.</summary>
    public static void Select(ReadOnlySpan<float> logits, Span<int> ranked)
    {
        int k = ranked.Length;
        for (int id = 0; id < k; id++)
            ranked[id] = id;
        for (int at = k / 2 - 1; at >= 0; at--)
            SiftDown(logits, ranked, at, k);

        // A later id loses ties, so only a strictly larger logit than the root's gets in.
        var scan = new ThresholdScan(logits, logits[ranked[0]], from: k);
        while (scan.MoveNext())
        {
            int id = scan.Current;
            if (logits[id] <= logits[ranked[0]])
                continue;
            ranked[0] = id;
            SiftDown(logits, ranked, 0, k);
            scan.Threshold = logits[ranked[0]];
        }

        // Heap sort: the weakest goes to the end each time, leaving the best first.
        for (int end = k - 1; end > 0; end--)
        {
            (ranked[0], ranked[end]) = (ranked[end], ranked[0]);
            SiftDown(logits, ranked, 0, end);
        }
    }

    /// <summary>Whether id a ranks below id b: a smaller logit, or the same logit and a higher id.</summary>
    private static bool Weaker(ReadOnlySpan<float> logits, int a, int b) =>
        logits[a] < logits[b] || (logits[a] == logits[b] && a > b);

    /// <summary>Restores the heap (weakest at the root) below <paramref name="at"/> within the first <paramref name="size"/>.</summary>
    private static void SiftDown(ReadOnlySpan<float> logits, Span<int> heap, int at, int size)
    {
        int item = heap[at];
        while (true)
        {
            int child = 2 * at + 1;
            if (child >= size)
                break;
            if (child + 1 < size && Weaker(logits, heap[child + 1], heap[child]))
                child++;
            if (!Weaker(logits, heap[child], item))
                break;
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = item;
    }
}
