using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The grouped matmul (MoE experts over their routed tokens, packed onto the threads longest first) must give every
/// product exactly what <see cref="MatMul"/> gives it alone, whatever the shard cut and thread count; and the packing
/// rule must keep its guarantee against the optimum found by brute force.
/// </summary>
public sealed unsafe class GroupedMatMulTests
{
    public static TheoryData<GgmlType> Types => new(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q8_0, GgmlType.Q5_0, GgmlType.F32, GgmlType.F16);

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_product_equals_its_own_matmul_to_the_bit(GgmlType type)
    {
        var random = new TestRandom();
        const int k = 256;
        // Odd row counts (tails of the 4-row tile and the 8-row panel) and token counts from one (a matvec) to many.
        int[] rows = [96, 257, 64, 130, 32, 200];
        int[] tokens = [17, 1, 40, 3, 9, 8];
        int[] shards = [3, 5, 1, 2, 4, 7];
        var weights = rows.Select(r => new QuantizedRows(type, MatVec.ActivationTypeFor(type), k, r, random)).ToArray();
        var inputs = tokens.Select(t => random.Floats(t * k)).ToArray();
        using var single = new KernelThreadPool(1);
        var expected = new float[rows.Length][];
        for (int i = 0; i < rows.Length; i++)
        {
            expected[i] = new float[tokens[i] * rows[i]];
            fixed (byte* w = weights[i].Weights)
                MatMul.Compute(type, w, rows[i], k, inputs[i], tokens[i], expected[i], single);
        }
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new KernelThreadPool(threads);
            var outputs = rows.Select((r, i) => new float[tokens[i] * r]).ToArray();
            var handles = new List<System.Runtime.InteropServices.GCHandle>();
            try
            {
                var products = new GroupedProduct[rows.Length];
                for (int i = 0; i < rows.Length; i++)
                {
                    var w = Pin(weights[i].Weights, handles);
                    var x = Pin(inputs[i], handles);
                    var y = Pin(outputs[i], handles);
                    products[i] = new GroupedProduct(type, (byte*)w, rows[i], k, (float*)x, tokens[i], (float*)y, shards[i]);
                }
                var packing = GroupedMatMul.Compute(products, pool);
                Assert.True(packing.Items > rows.Length, $"{type}: the shards were not cut ({packing.Items} items)");
                Assert.InRange(packing.EstimatedIdle, 0, 1);
            }
            finally
            {
                handles.ForEach(h => h.Free());
            }
            for (int i = 0; i < rows.Length; i++)
                Assert.True(expected[i].AsSpan().SequenceEqual(outputs[i]), $"{type}: product {i} ({rows[i]} rows, {tokens[i]} tokens, {shards[i]} shards) on {threads} threads differs");
        }
    }

    private static nint Pin(Array array, List<System.Runtime.InteropServices.GCHandle> handles)
    {
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
        handles.Add(handle);
        return handle.AddrOfPinnedObject();
    }

    [Fact]
    public void Empty_and_invalid_groups_are_handled()
    {
        using var pool = new KernelThreadPool(2);
        Assert.Equal(0, GroupedMatMul.Compute(ReadOnlySpan<GroupedProduct>.Empty, pool).Items);
        var bad = new[] { new GroupedProduct(GgmlType.Q8_0, null, 32, 64, null, 1, null) };
        Assert.ThrowsAny<ArgumentException>(() => GroupedMatMul.Compute(bad, pool));
    }

    [Fact]
    public void Longest_first_packing_is_within_four_thirds_of_the_optimum_and_one_item()
    {
        var random = new Random(20261206);
        for (int instance = 0; instance < 300; instance++)
        {
            int items = random.Next(1, 10);
            int bins = random.Next(1, 4);
            var costs = Enumerable.Range(0, items).Select(_ => random.Next(1, 100) * (random.Next(4) == 0 ? 10.0 : 1.0)).ToArray();
            var binOf = new int[items];
            var loads = new double[bins];
            double makespan = LongestFirstPacking.Pack(costs, binOf, loads, new int[items], new double[items]);

            // The assignment is what the makespan says it is, and every item is placed once.
            var recomputed = new double[bins];
            for (int i = 0; i < items; i++)
                recomputed[binOf[i]] += costs[i];
            Assert.Equal(recomputed, loads);
            Assert.Equal(recomputed.Max(), makespan);

            double optimum = BruteForceMakespan(costs, bins);
            string what = $"instance {instance}: costs [{string.Join(", ", costs)}] on {bins} bins: LPT {makespan}, optimum {optimum}";
            Assert.True(makespan <= optimum * 4 / 3 + 1e-9, what);
            Assert.True(makespan <= optimum + costs.Max() + 1e-9, what);
        }
    }

    [Fact]
    public void Longest_first_packing_balances_a_skewed_layer()
    {
        // One hot expert, then many small: LPT puts the hot one alone and spreads the small ones over the other bins.
        double[] costs = [50, 10, 10, 10, 10, 10];
        var binOf = new int[costs.Length];
        var loads = new double[2];
        double makespan = LongestFirstPacking.Pack(costs, binOf, loads, new int[costs.Length], new double[costs.Length]);
        Assert.Equal(50, makespan);
        Assert.All(binOf.Skip(1), b => Assert.NotEqual(binOf[0], b));
        Assert.Throws<ArgumentOutOfRangeException>(() => LongestFirstPacking.Pack([1, -1], new int[2], new double[2], new int[2], new double[2]));
    }

    /// <summary>The best makespan over every assignment of items to bins.</summary>
    private static double BruteForceMakespan(double[] costs, int bins)
    {
        var loads = new double[bins];
        double best = double.MaxValue;
        void Place(int item)
        {
            if (item == costs.Length)
            {
                best = Math.Min(best, loads.Max());
                return;
            }
            for (int b = 0; b < bins; b++)
            {
                loads[b] += costs[item];
                if (loads[b] < best)
                    Place(item + 1);
                loads[b] -= costs[item];
            }
        }
        Place(0);
        return best;
    }
}
