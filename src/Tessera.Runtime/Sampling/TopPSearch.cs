using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tessera.Runtime.Sampling;

/// <summary>
/// Top-p over the whole vocabulary without sorting it: the smallest prefix of the ids ranked by logit (descending,
/// ties to the lower id) whose softmax probabilities (temperature 1) sum to at least p. Ids are bucketed by their gap
/// below the largest logit; a bisection over the buckets, each step one vector pass summing the weights of the ids
/// above a gap, finds the bucket where the running mass reaches p. Only that bucket's members get sorted, and the
/// walk through them stops at the id that reaches p.
/// </summary>
/// <param name="weights">[n_vocab] scratch for exp(logit - max); its contents matter only during <see cref="Find"/>.</param>
/// <param name="members">[n_vocab] scratch for the ids of the bucket that reaches p, likewise.</param>
internal sealed class TopPSearch(float[] weights, int[] members)
{
    /// <summary>Ids more than this many nats below the largest logit each weigh under e^-32 = 1.3e-14 of the top id;
    /// for any vocabulary under a million ids together under 2e-8 of the total, less than the 6e-8 that the largest
    /// float top-p below 1 leaves out. So the prefix never reaches them (except by rounding) and the buckets skip them.</summary>
    private const float RangeNats = 32;

    /// <summary>Bucket width 1/16 nat: a bucket spans probabilities within 6.5% of each other, so the one that gets
    /// sorted is a small part of the prefix. A power of two keeps gap * BucketsPerNat exact.</summary>
    private const int BucketsPerNat = 16;

    private const int BucketCount = (int)RangeNats * BucketsPerNat;

    /// <summary>Vectors summed in float before the partial sum goes into the double total: bounds the rounding.</summary>
    private const int VectorsPerPartialSum = 32;

    /// <summary>Relative rounding allowed for when bounding logits from max - logit: 8 float ulps.</summary>
    private const float RoundingSlack = 1e-6f;

    private readonly float[] _weights = weights;
    private readonly int[] _members = members;
    private readonly float[] _keys = new float[members.Length];      // [members] -logit, to sort ascending

    /// <summary>The top-p prefix of <paramref name="logits"/> (no NaN, largest <paramref name="max"/>, finite).</summary>
    public SortedPrefix Find(ReadOnlySpan<float> logits, float max, float p)
    {
        var weights = _weights.AsSpan(0, logits.Length);
        TensorPrimitives.Subtract(logits, max, weights);
        TensorPrimitives.Exp(weights, weights);
        double target = p * WeightedChoice.Total(weights);

        // Invariant: the ids in buckets below `low` weigh less than the target, those below `high` at least the target.
        int low = 0, high = BucketCount;
        double massBelowLow = 0;
        if (MassBelow(logits, weights, max, high) < target)
            return SortedPrefix.Everything;   // rounding only: nothing short of the whole vocabulary reaches p
        while (high - low > 1)
        {
            int middle = (low + high) / 2;
            double mass = MassBelow(logits, weights, max, middle);
            if (mass >= target)
                high = middle;
            else
                (low, massBelowLow) = (middle, mass);
        }

        int count = RankBucket(logits, max, low);
        double cumulative = massBelowLow;
        for (int i = 0; i < count; i++)
        {
            cumulative += weights[_members[i]];
            if (cumulative >= target)
                return new SortedPrefix(logits[_members[i]], _members[i]);
        }
        // The bucket's mass summed in another order fell short by rounding: keep all of it.
        int last = _members[count - 1];
        return new SortedPrefix(logits[last], last);
    }

    /// <summary>Bucket of an id gap = max - logit below the top, for gap &lt; RangeNats. Monotone in the logit, so a
    /// lower bucket holds only larger logits; gap &lt; b / BucketsPerNat exactly when the bucket is below b.</summary>
    private static int BucketOf(float gap) => Math.Min((int)(gap * BucketsPerNat), BucketCount - 1);

    /// <summary>Total weight of the ids in buckets below <paramref name="bucket"/>, i.e. with max - logit &lt; bucket / BucketsPerNat.</summary>
    private static double MassBelow(ReadOnlySpan<float> logits, ReadOnlySpan<float> weights, float max, int bucket)
    {
        float gapLimit = bucket / (float)BucketsPerNat;   // exact
        var maxes = Vector256.Create(max);
        var limits = Vector256.Create(gapLimit);
        ref float logit = ref MemoryMarshal.GetReference(logits);
        ref float weight = ref MemoryMarshal.GetReference(weights);   // as long as the logits
        const int Width = 8;   // floats in a Vector256
        const int Step = 4 * Width;
        int at = 0;
        double total = 0;
        while (at <= logits.Length - Step)
        {
            // Four independent sums so the additions overlap instead of waiting on each other.
            Vector256<float> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
            int end = Math.Min(at + VectorsPerPartialSum * Width, logits.Length - Step + 1);
            for (; at < end; at += Step)
            {
                sum0 += InsideWeights(ref logit, ref weight, at, maxes, limits);
                sum1 += InsideWeights(ref logit, ref weight, at + Width, maxes, limits);
                sum2 += InsideWeights(ref logit, ref weight, at + 2 * Width, maxes, limits);
                sum3 += InsideWeights(ref logit, ref weight, at + 3 * Width, maxes, limits);
            }
            total += Vector256.Sum((sum0 + sum1) + (sum2 + sum3));
        }
        for (; at < logits.Length; at++)
        {
            if (max - logits[at] < gapLimit)
                total += weights[at];
        }
        return total;
    }

    /// <summary>The weights of the eight ids from <paramref name="at"/> whose gap is below the limit, zero for the others.</summary>
    private static Vector256<float> InsideWeights(ref float logit, ref float weight, int at, Vector256<float> maxes, Vector256<float> limits) =>
        Vector256.LessThan(maxes - Vector256.LoadUnsafe(ref logit, (nuint)at), limits) & Vector256.LoadUnsafe(ref weight, (nuint)at);

    /// <summary>Gathers the ids of one bucket into _members, ranked by logit descending with ties to the lower id; returns their count.</summary>
    private int RankBucket(ReadOnlySpan<float> logits, float max, int bucket)
    {
        int count = 0;
        // The band of logits the bucket spans, widened by a bucket plus the rounding of max - logit at max's magnitude;
        // the exact test below decides.
        float slack = 1f / BucketsPerNat + MathF.Abs(max) * RoundingSlack;
        var scan = new ThresholdScan(logits, max - (bucket + 1) / (float)BucketsPerNat - slack, ceiling: max - bucket / (float)BucketsPerNat + slack);
        while (scan.MoveNext())
        {
            float gap = max - logits[scan.Current];
            if (gap < RangeNats && BucketOf(gap) == bucket)
            {
                _members[count] = scan.Current;
                _keys[count++] = -logits[scan.Current];
            }
        }
        Array.Sort(_keys, _members, 0, count);
        // Array.Sort is not stable: put each run of equal logits back in id order.
        for (int start = 0, end; start < count; start = end)
        {
            for (end = start + 1; end < count && _keys[end] == _keys[start]; end++) { }
            if (end - start > 1)
                Array.Sort(_members, start, end - start);
        }
        return count;
    }
}
