using System.Numerics.Tensors;

namespace Tessera.Runtime.Sampling;

/// <summary>
/// Draws an index with probability proportional to its weight: the weights are laid end to end in index order and
/// u * total (u uniform in [0, 1)) falls into exactly one of them. Sums run per block with vector code, both for the
/// total and for finding the block, so only one block is walked weight by weight; both passes add the same block sums
/// in the same order, so the walk always ends inside the total.
/// </summary>
internal static class WeightedChoice
{
    /// <summary>Weights per block: small enough that walking one block is cheap, large enough that the per-block
    /// sums are few.</summary>
    private const int BlockSize = 256;

    /// <summary>The chosen index; <paramref name="weights"/> are finite, non-negative and not all zero, <paramref name="uniform"/> in [0, 1).
    /// A zero weight is never chosen.</summary>
    public static int Pick(ReadOnlySpan<float> weights, double uniform)
    {
        double target = uniform * Total(weights);

        // The block holding the target; if rounding put the target at the very end, the last block with any weight.
        int chosen = -1;
        double before = 0, beforeChosen = 0;
        for (int start = 0; start < weights.Length; start += BlockSize)
        {
            double sum = BlockSum(weights, start);
            if (sum > 0)
                (chosen, beforeChosen) = (start, before);
            before += sum;
            if (target < before)
                break;
        }
        if (chosen < 0)
            throw new ArgumentException("every weight is zero", nameof(weights));

        double cumulative = beforeChosen;
        int lastWeighted = chosen;
        for (int i = chosen; i < Math.Min(chosen + BlockSize, weights.Length); i++)
        {
            if (weights[i] <= 0)
                continue;
            lastWeighted = i;
            cumulative += weights[i];
            if (target < cumulative)
                return i;
        }
        return lastWeighted;
    }

    /// <summary>The sum of the weights, per block in float (vector code) and over the blocks in double: accurate to
    /// about a block's rounding, far better than one float sum over a whole vocabulary.</summary>
    public static double Total(ReadOnlySpan<float> weights)
    {
        double total = 0;
        for (int start = 0; start < weights.Length; start += BlockSize)
            total += BlockSum(weights, start);
        return total;
    }

    private static double BlockSum(ReadOnlySpan<float> weights, int start) =>
        TensorPrimitives.Sum(weights.Slice(start, Math.Min(BlockSize, weights.Length - start)));
}
