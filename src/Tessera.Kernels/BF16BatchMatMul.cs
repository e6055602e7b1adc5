using System.Runtime.CompilerServices;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Threading;

namespace Tessera.Kernels;

/// <summary>
/// BF16 weights times a small batch of tokens on CPUs with AVX512-BF16 (a short prompt, or the server's batched decode
/// steps): Y[tokens, rows] = X[tokens, k] · W[rows, k]^T in one pass over the weights, two rows at a time (one from
/// each half of a task) against groups of up to 8 tokens in <see cref="BF16RowPairTile"/>. The tokens are rounded to BF16 once
/// (<see cref="BF16TokenSlices"/>), as the 32-token panels of larger batches are; the rows are read in place. k is cut
/// into ranges whose tokens fit in L1, as in <see cref="FloatBatchMatMul"/>.
/// </summary>
internal static unsafe class BF16BatchMatMul
{
    /// <summary>Bytes of BF16 tokens a k range holds for the whole batch: two thirds of a 48 KiB L1.</summary>
    private const int TokenBytes = 32 * 1024;

    /// <summary>Most tokens this path takes; larger batches go to <see cref="FloatMatMul"/>'s 32-token panels. Measured
    /// end to end on a TinyLlama-shape BF16 model (2 threads, alternating runs): at 16 tokens this path ran 194-208
    /// t/s against 178-180 for the panels, at 17 160-168 against 184-193 (a third group), at 20 172-182 against 214-222.</summary>
    public const int MaxTokens = 16;

    private const int GroupTokens = BF16RowPairTile.MaxTokens;
    private const int SliceValues = BF16RowPairTile.SliceValues;

    /// <summary>Whether a product of <paramref name="tokens"/> tokens (2-16) with BF16 weights takes this path here.</summary>
    public static bool Applies(int tokens) => tokens is >= 2 and <= MaxTokens && BF16RowPairTile.IsSupported;

    /// <param name="weights">[rows, k] BF16</param>
    /// <param name="x">[tokens, k]</param>
    /// <param name="y">[tokens, rows]</param>
    public static void Compute(byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool)
    {
        long groupValues = BF16TokenSlices.Values(k, GroupTokens);
        var job = new Job
        {
            Weights = weights,
            RowBytes = (long)k * sizeof(ushort),
            Rows = rows,
            K = k,
            X = x,
            Tokens = tokens,
            Y = y,
            RowsPerTask = MatVec.RowsPerTask(rows, pool.ThreadCount),
            GroupValues = groupValues,
            Range = Math.Max(SliceValues, TokenBytes / sizeof(ushort) / tokens / SliceValues * SliceValues),
        };
        int groups = (tokens + GroupTokens - 1) / GroupTokens;
        job.Slices = (ushort*)pool.Scratch.Get((nuint)(groups * groupValues * sizeof(ushort)));
        pool.Run(tokens, &PackTask, &job);
        pool.Run((int)((rows + job.RowsPerTask - 1) / job.RowsPerTask), &MultiplyTask, &job);
    }

    private struct Job
    {
        public byte* Weights;
        public long RowBytes;
        public long Rows;
        public int K;
        public float* X;             // [tokens, k]
        public int Tokens;
        public float* Y;             // [tokens, rows]
        public long RowsPerTask;
        public ushort* Slices;       // per group of 8 tokens, BF16TokenSlices' layout, GroupValues apart
        public long GroupValues;
        public int Range;            // values of k per range, a multiple of a slice
    }

    /// <summary>Group g's valid tokens and the width its slices were packed for.</summary>
    private static (int Valid, int Width) Group(in Job job, int g)
    {
        int valid = Math.Min(GroupTokens, job.Tokens - g * GroupTokens);
        return (valid, BF16RowPairTile.Width(valid));
    }

    /// <summary>Rounds token t into its group. A group's places past its valid tokens keep whatever the scratch held:
    /// each place has accumulators of its own in the tile, and their sums are never stored.</summary>
    private static void PackTask(void* state, int t, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        int g = t / GroupTokens;
        BF16TokenSlices.Pack(job.X + (long)t * job.K, job.K, Group(job, g).Width, t % GroupTokens, job.Slices + g * job.GroupValues);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        long first = task * job.RowsPerTask, end = Math.Min(job.Rows, first + job.RowsPerTask);
        int groups = (job.Tokens + GroupTokens - 1) / GroupTokens;
        float* c = stackalloc float[BF16RowPairTile.Rows * GroupTokens];
        // Two sequential weight streams, as a matrix-vector task walks: a pair is row i of each half of the task. Pairs
        // of neighbouring rows jumped a row at every step in both streams: pp2 34 against 41-45 t/s, pp4 64-65 against
        // 67-78 (TinyLlama-shape BF16, alternating runs).
        long half = (end - first + 1) / 2;
        for (int from = 0; from < job.K; from += job.Range)
        {
            int to = Math.Min(job.K, from + job.Range);
            int slices = (to - from) / SliceValues;
            int restFrom = from + slices * SliceValues;   // the values past the range's whole slices (the end of k)
            for (long i = 0; i < half; i++)
            {
                // For an odd count the second half is a row short: the first row goes in as both and only it is stored.
                long r = first + i;
                int rowCount = r + half < end ? BF16RowPairTile.Rows : 1;
                nint stride = rowCount == BF16RowPairTile.Rows ? (nint)(half * job.RowBytes) : 0;
                ushort* rows = (ushort*)(job.Weights + r * job.RowBytes);
                for (int g = 0; g < groups; g++)
                {
                    var (valid, width) = Group(job, g);
                    ushort* group = job.Slices + g * job.GroupValues;
                    if (slices > 0)
                    {
                        // Each pair's range is read once: the tile requests the next pair's (a row on in both streams).
                        BF16RowPairTile.Tile(width, rows + from, stride, group + (long)from * width, slices, c, (nint)job.RowBytes);
                    }
                    else
                        new Span<float>(c, BF16RowPairTile.Rows * GroupTokens).Clear();
                    for (int t = 0; t < valid; t++)
                    {
                        float* target = job.Y + (long)(g * GroupTokens + t) * job.Rows + r;
                        for (int j = 0; j < rowCount; j++)
                        {
                            float sum = c[j * GroupTokens + t] + Rest((ushort*)((byte*)rows + j * stride), group, width, t, restFrom, to);
                            float* y = target + j * half;
                            *y = from > 0 ? *y + sum : sum;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Row · token t over [from, to), the values of k past the last whole slice, from the packed partial
    /// slice (the same rounded values the tile would have used).</summary>
    private static float Rest(ushort* row, ushort* group, int width, int t, int from, int to)
    {
        float sum = 0;
        ushort* slice = group + (long)from * width + t * SliceValues;
        for (int i = from; i < to; i++)
            sum += Tensors.Quants.BF16.ToSingle(row[i]) * Tensors.Quants.BF16.ToSingle(slice[i - from]);
        return sum;
    }
}
