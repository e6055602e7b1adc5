using System.Runtime.CompilerServices;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>
/// BF16 or F16 weights times a small batch of tokens (a short prompt, or the server's batched decode steps):
/// Y[tokens, rows] = X[tokens, k] · W[rows, k]^T in one pass over the weights, two rows at a time (one from each half of
/// a task) against groups of up to 8 tokens (4 for F16 without AVX-512) in <see cref="RowPairTile"/>. The tokens are laid out once
/// (<see cref="TokenSlices"/>: for BF16 rounded to BF16, as the 32-token panels of larger batches are); the rows are
/// read in place. k is cut into ranges whose tokens fit in L1.
/// </summary>
internal static unsafe class RowPairMatMul
{
    /// <summary>Bytes of tokens a k range holds for the whole batch: two thirds of a 48 KiB L1.</summary>
    private const int TokenBytes = 32 * 1024;

    /// <summary>The same past 16 tokens (three groups of 8 with AVX-512), whose ranges would otherwise be short (21
    /// slices at 24 tokens) and pay each call's reduction and stores more often: F16 pp20 / pp24 152-154 / 146 ->
    /// 166-172 / 154-158 t/s, pp17 level. At 8 tokens 40 KiB cost 15% (146 -> 122), at 16 it was level.</summary>
    private const int ThreeGroupTokenBytes = 40 * 1024;

    /// <summary>Most tokens this path takes for BF16; larger batches go to <see cref="FloatMatMul"/>'s 32-token panels.
    /// Measured end to end on a TinyLlama-shape BF16 model (2 threads, alternating runs): at 16 tokens this path ran
    /// 194-208 t/s against 178-180 for the panels, at 17 217-218 against 206-208 (a third group, of one token), at 20
    /// 232-234 against 238-244, at 24 221 against 277-279.</summary>
    public const int MaxBF16Tokens = 16;

    /// <summary>Most tokens this path takes for F16; larger batches go to <see cref="FloatMatMul"/>'s float panels.
    /// Measured the same way: at 14 tokens this path ran 139-146 t/s against 100-107 for the panels, at 16 159-162
    /// against 118-122, at 20 151-153 against 110-111, at 24 143-147 against 132-134, at 25-26 within 5%, at 28 143
    /// against 147-153, at 32 148-151 against 173-176. Below, it replaced the F16C four-token dot and the managed
    /// row-pair kernel: pp2 33-34 -> 38-51, pp4 59-60 -> 69-100, pp8 84-88 -> 110-146 t/s. The 256-bit form (AVX2, no
    /// AVX-512) against the F16C four-token dot and the float panels: pp2 34-39 -> 42-48, pp4 55-68 -> 84, pp8 64-66 ->
    /// 91-94, pp16 74-77 -> 93, pp24 93-94 -> 92-95. Where <see cref="RowTripleMatMul"/> runs (AVX2 without AVX-512)
    /// it takes over from <see cref="RowTripleMatMul.MinF16Tokens"/>.</summary>
    public static int MaxF16Tokens => IsaSupport.Avx512 || !RowTripleTile.Supports(GgmlType.F16) ? 24 : RowTripleMatMul.MinF16Tokens - 1;

    /// <summary>Tokens per group: 8 with AVX-512, 4 for F16's 256-bit form.</summary>
    private static int GroupTokens => RowPairTile.MaxWidth;

    /// <summary>Whether a product of <paramref name="tokens"/> tokens with <paramref name="weightType"/> weights takes
    /// this path here: BF16 at 2-16 tokens, F16 at 2-<see cref="MaxF16Tokens"/>.</summary>
    public static bool Applies(GgmlType weightType, int tokens) => RowPairTile.Supports(weightType) && weightType switch
    {
        GgmlType.BF16 => tokens is >= 2 and <= MaxBF16Tokens,
        GgmlType.F16 => tokens >= 2 && tokens <= MaxF16Tokens,
        _ => false,
    };

    /// <param name="weightType">BF16 or F16</param>
    /// <param name="weights">[rows, k]</param>
    /// <param name="x">[tokens, k]</param>
    /// <param name="y">[tokens, rows]</param>
    public static void Compute(GgmlType weightType, byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool)
    {
        int sliceValues = RowPairTile.SliceValues(weightType);
        long groupBytes = TokenSlices.Bytes(weightType, k, GroupTokens);
        var job = new Job
        {
            Type = weightType,
            Weights = weights,
            RowBytes = (long)k * sizeof(ushort),
            Rows = rows,
            K = k,
            X = x,
            Tokens = tokens,
            Y = y,
            RowsPerTask = MatVec.RowsPerTask(rows, pool.ThreadCount),
            GroupBytes = groupBytes,
            SliceValues = sliceValues,
            // A token's slice takes 64 bytes whatever the type.
            Range = Math.Max(sliceValues, (tokens > 2 * RowPairTile.MaxTokens ? ThreeGroupTokenBytes : TokenBytes) / RowPairTile.TokenSliceBytes / tokens * sliceValues),
        };
        int groups = (tokens + GroupTokens - 1) / GroupTokens;
        job.Slices = pool.Scratch.Get((nuint)(groups * groupBytes));
        pool.Run(tokens, &PackTask, &job);
        pool.Run((int)((rows + job.RowsPerTask - 1) / job.RowsPerTask), &MultiplyTask, &job);
    }

    private struct Job
    {
        public GgmlType Type;
        public byte* Weights;
        public long RowBytes;
        public long Rows;
        public int K;
        public float* X;             // [tokens, k]
        public int Tokens;
        public float* Y;             // [tokens, rows]
        public long RowsPerTask;
        public byte* Slices;         // per group of GroupTokens, TokenSlices' layout, GroupBytes apart
        public long GroupBytes;
        public int SliceValues;
        public int Range;            // values of k per range, a multiple of a slice
    }

    /// <summary>Group g's valid tokens and the width its slices were packed for.</summary>
    private static (int Valid, int Width) Group(in Job job, int g)
    {
        int valid = Math.Min(GroupTokens, job.Tokens - g * GroupTokens);
        return (valid, RowPairTile.Width(valid));
    }

    /// <summary>Lays out token t in its group. A group's places past its valid tokens keep whatever the scratch held:
    /// each place has accumulators of its own in the tile, and their sums are never stored.</summary>
    private static void PackTask(void* state, int t, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        int g = t / GroupTokens;
        TokenSlices.Pack(job.Type, job.X + (long)t * job.K, job.K, Group(job, g).Width, t % GroupTokens, job.Slices + g * job.GroupBytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        long first = task * job.RowsPerTask, end = Math.Min(job.Rows, first + job.RowsPerTask);
        int groups = (job.Tokens + GroupTokens - 1) / GroupTokens;
        float* c = stackalloc float[RowPairTile.Rows * RowPairTile.MaxTokens];
        // Two sequential weight streams, as a matrix-vector task walks: a pair is row i of each half of the task. Pairs
        // of neighbouring rows jumped a row at every step in both streams: BF16 pp2 34 against 41-45 t/s, pp4 64-65
        // against 67-78 (TinyLlama-shape BF16, alternating runs).
        long half = (end - first + 1) / 2;
        for (int from = 0; from < job.K; from += job.Range)
        {
            int to = Math.Min(job.K, from + job.Range);
            int slices = (to - from) / job.SliceValues;
            int restFrom = from + slices * job.SliceValues;   // the values past the range's whole slices (the end of k)
            bool rest = restFrom < to, accumulate = from > 0;
            for (long i = 0; i < half; i++)
            {
                // For an odd count the second half is a row short: the first row goes in as both and only it is stored.
                long r = first + i;
                int rowCount = r + half < end ? RowPairTile.Rows : 1;
                nint stride = rowCount == RowPairTile.Rows ? (nint)(half * job.RowBytes) : 0;
                ushort* rows = (ushort*)(job.Weights + r * job.RowBytes);
                for (int g = 0; g < groups; g++)
                {
                    var (valid, width) = Group(job, g);
                    byte* group = job.Slices + g * job.GroupBytes;
                    byte* slice = group + (long)from / job.SliceValues * width * RowPairTile.TokenSliceBytes;
                    if (slices > 0)
                    {
                        // Each pair's range is read once: the tile requests the next pair's (a row on in both streams).
                        RowPairTile.Tile(job.Type, width, rows + from, stride, slice, slices, c, (nint)job.RowBytes);
                    }
                    else
                    {
                        new Span<float>(c, RowPairTile.Rows * RowPairTile.MaxTokens).Clear();
                    }
                    byte* restSlice = slice + (long)slices * width * RowPairTile.TokenSliceBytes;
                    float* y = job.Y + (long)g * GroupTokens * job.Rows + r;
                    for (int t = 0; t < valid; t++, y += job.Rows, restSlice += RowPairTile.TokenSliceBytes)
                    {
                        float one = c[t], other = c[RowPairTile.MaxTokens + t];
                        if (rest)
                        {
                            one += Rest(job.Type, rows, restSlice, restFrom, to);
                            other += Rest(job.Type, (ushort*)((byte*)rows + stride), restSlice, restFrom, to);
                        }
                        if (accumulate)
                        {
                            y[0] += one;
                            if (rowCount == RowPairTile.Rows)
                                y[half] += other;
                        }
                        else
                        {
                            y[0] = one;
                            if (rowCount == RowPairTile.Rows)
                                y[half] = other;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Row · token over [from, to), the values of k past the last whole slice, from the token's partial slice
    /// (the same values the tile would have used).</summary>
    private static float Rest(GgmlType weightType, ushort* row, byte* slice, int from, int to)
    {
        float sum = 0;
        for (int i = from; i < to; i++)
            sum += RowPairTile.Weight(weightType, row[i]) * TokenSlices.Value(weightType, slice, i - from);
        return sum;
    }
}
