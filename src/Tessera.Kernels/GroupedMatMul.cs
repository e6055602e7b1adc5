using System.Runtime.CompilerServices;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

// The job below holds the pool (a managed reference) and is passed by address to the pool's tasks: it lives on the
// caller's stack, which the GC never moves, for exactly as long as the synchronous Run that uses it.
#pragma warning disable CS8500

/// <summary>
/// One product of a grouped matmul: Y[Tokens, Rows] = X[Tokens, K] · W[Rows, K]^T, its rows cut into
/// <see cref="Shards"/> work items (a hot expert's rows spread over several workers).
/// </summary>
public readonly unsafe struct GroupedProduct(GgmlType type, byte* weights, long rows, int k, float* x, int tokens, float* y, int shards = 1)
{
    public GgmlType Type { get; } = type;
    public byte* Weights { get; } = weights;     // [Rows, K] in Type's layout
    public long Rows { get; } = rows;
    public int K { get; } = k;
    public float* X { get; } = x;                // [Tokens, K]
    public int Tokens { get; } = tokens;
    public float* Y { get; } = y;                // [Tokens, Rows]
    public int Shards { get; } = shards;
}

/// <summary>
/// Many independent matrix products with different token counts (the experts of a MoE layer over the tokens routed
/// to each, in prompt processing) as one pool operation instead of one operation with a barrier each. Each product's
/// rows are cut into shards; every (product, shard) is a work item whose cost is estimated from rows x tokens x the
/// type's cost; the items are packed onto the pool's threads longest first (<see cref="LongestFirstPacking"/>), and each
/// thread runs its bin with the ordinary matmul kernels on a single-threaded pool of its own (so every fast path,
/// panel, tile or float, serves here too). A shard's result goes through a per-thread buffer into its columns of Y.
/// Each output element is computed exactly as <see cref="MatMul"/> computes it over the whole product, as long as
/// shard boundaries fall on multiples of <see cref="ShardRowMultiple"/>.
/// </summary>
public static unsafe class GroupedMatMul
{
    /// <summary>Shard sizes are multiples of this many rows, a multiple of every kernel's row group (4-row tiles,
    /// 8-row panels), so a shard is tiled as the whole product would be.</summary>
    public const int ShardRowMultiple = 32;

    /// <summary>Most work items one call takes (products x shards).</summary>
    public const int MaxItems = 4096;

    /// <summary>How the last call's items were packed: the estimated makespan against a perfect split (1 = ideal).</summary>
    public readonly record struct Packing(int Items, double Makespan, double TotalCost, int Bins)
    {
        /// <summary>Estimated fraction of worker time left idle by the packing: 1 - total / (bins x makespan).</summary>
        public double EstimatedIdle => Makespan <= 0 ? 0 : 1 - TotalCost / (Bins * Makespan);
    }

    /// <summary>Relative cost of one weight x token in <paramref name="type"/>: one multiply-add plus decoding, which
    /// grows with the bits per weight (an estimate for ordering work items, not a time).</summary>
    public static double TypeCost(GgmlType type)
    {
        var traits = GgmlTypeTraits.Of(type);
        return 1.0 + (double)traits.BytesFor(traits.BlockSize) / traits.BlockSize;
    }

    /// <summary>Estimated cost of computing <paramref name="rows"/> rows of a product over <paramref name="tokens"/>
    /// tokens: its multiply-adds, plus one read of the weights.</summary>
    public static double Cost(GgmlType type, long rows, int k, int tokens) => rows * (double)k * (tokens + 1) * TypeCost(type);

    public static Packing Compute(ReadOnlySpan<GroupedProduct> products, KernelThreadPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int itemCount = 0;
        long largestShardFloats = 0;
        foreach (var p in products)
        {
            MatrixArguments.Validate(p.Type, p.Weights, p.Rows, p.K, p.Tokens * p.K, p.Tokens, (int)Math.Min(int.MaxValue, p.Rows * p.Tokens), pool);
            if (p.X == null || p.Y == null)
                throw new ArgumentException("a grouped product has no input or output", nameof(products));
            int shards = ShardCount(p);
            itemCount += shards;
            if (shards > 1)
                largestShardFloats = Math.Max(largestShardFloats, ShardRows(p) * p.Tokens);
        }
        if (itemCount == 0)
            return default;
        if (itemCount > MaxItems)
            throw new ArgumentException($"{itemCount} work items, at most {MaxItems}", nameof(products));
        pool.PrepareSingleThreaded();
        int bins = pool.ThreadCount;

        // Scratch: items, packing arrays, then one shard result buffer per thread.
        long itemBytes = Align(itemCount * sizeof(Item));
        long arrayBytes = Align(itemCount * sizeof(double)) * 3 + Align(bins * sizeof(double)) + Align((bins + 1) * sizeof(int));
        long shardBytes = Align(largestShardFloats * sizeof(float));
        byte* scratch = pool.Scratch.Get((nuint)(itemBytes + arrayBytes + bins * shardBytes));
        var items = (Item*)scratch;
        double* costs = (double*)(scratch + itemBytes);
        double* keys = costs + Align(itemCount * sizeof(double)) / sizeof(double);
        int* binOfItem = (int*)(keys + Align(itemCount * sizeof(double)) / sizeof(double));
        int* order = binOfItem + itemCount;   // shares the third array slot: ints take half of a double's room
        double* binLoads = (double*)((byte*)binOfItem + Align(itemCount * sizeof(double)));
        int* binStart = (int*)((byte*)binLoads + Align(bins * sizeof(double)));

        int next = 0;
        double total = 0;
        for (int i = 0; i < products.Length; i++)
        {
            var p = products[i];
            long shardRows = ShardRows(p);
            for (long first = 0; first < p.Rows; first += shardRows)
            {
                long rows = Math.Min(shardRows, p.Rows - first);
                items[next] = new Item { Product = i, FirstRow = first, Rows = rows };
                costs[next] = Cost(p.Type, rows, p.K, p.Tokens);
                total += costs[next];
                next++;
            }
        }
        double makespan = LongestFirstPacking.Pack(new ReadOnlySpan<double>(costs, itemCount), new Span<int>(binOfItem, itemCount),
            new Span<double>(binLoads, bins), new Span<int>(order, itemCount), new Span<double>(keys, itemCount));

        // Items grouped by bin, so each task walks its own bin.
        CountingSort.Group(new ReadOnlySpan<int>(binOfItem, itemCount), new Span<int>(binStart, bins + 1), new Span<int>(order, itemCount));

        fixed (GroupedProduct* productPointer = products)
        {
            var job = new Job
            {
                Products = productPointer,
                Items = items,
                Order = order,
                BinStart = binStart,
                ShardBuffers = (float*)(scratch + itemBytes + arrayBytes),
                ShardFloats = shardBytes / sizeof(float),
                Pool = pool,
            };
            pool.Run(bins, &BinTask, &job);
        }
        return new Packing(itemCount, makespan, total, bins);
    }

    /// <summary>Shards a product is cut into: about as many as asked, each a multiple of <see cref="ShardRowMultiple"/>
    /// rows but the last.</summary>
    private static int ShardCount(in GroupedProduct p) => (int)((p.Rows + ShardRows(p) - 1) / ShardRows(p));

    /// <summary>Rows per shard: an even split of the asked count rounded up to <see cref="ShardRowMultiple"/>.</summary>
    private static long ShardRows(in GroupedProduct p)
    {
        if (p.Shards <= 1)
            return p.Rows;
        long even = (p.Rows + p.Shards - 1) / p.Shards;
        return Math.Min(p.Rows, (even + ShardRowMultiple - 1) / ShardRowMultiple * ShardRowMultiple);
    }

    private static long Align(long bytes) => (bytes + 63) & ~63L;

    private struct Item
    {
        public int Product;
        public long FirstRow;
        public long Rows;
    }

    private struct Job
    {
        public GroupedProduct* Products;
        public Item* Items;
        public int* Order;        // item indices grouped by bin
        public int* BinStart;     // [bins + 1] offsets into Order
        public float* ShardBuffers;   // [threads][ShardFloats]
        public long ShardFloats;
        public KernelThreadPool Pool;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BinTask(void* state, int bin, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        var own = job.Pool.SingleThreaded(threadIndex);
        float* buffer = job.ShardBuffers + threadIndex * job.ShardFloats;
        for (int o = job.BinStart[bin]; o < job.BinStart[bin + 1]; o++)
        {
            ref Item item = ref job.Items[job.Order[o]];
            GroupedProduct p = job.Products[item.Product];
            var traits = GgmlTypeTraits.Of(p.Type);
            byte* weights = p.Weights + item.FirstRow * traits.BytesFor(p.K);
            var x = new ReadOnlySpan<float>(p.X, p.Tokens * p.K);
            if (item.Rows == p.Rows)
            {
                MatMul.Compute(p.Type, weights, item.Rows, p.K, x, p.Tokens, new Span<float>(p.Y, (int)(p.Rows * p.Tokens)), own);
                continue;
            }
            int rows = (int)item.Rows;
            MatMul.Compute(p.Type, weights, rows, p.K, x, p.Tokens, new Span<float>(buffer, rows * p.Tokens), own);
            for (int t = 0; t < p.Tokens; t++)
                new ReadOnlySpan<float>(buffer + (long)t * rows, rows).CopyTo(new Span<float>(p.Y + t * p.Rows + item.FirstRow, rows));
        }
    }
}
