using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Attention;

/// <summary>
/// Causal multi-head attention over a KV cache with grouped-query heads:
/// out = softmax(q·K^T * scale) · V per (token, head), where query head h reads KV head h / (headCount / kvHeadCount)
/// and the token at position p sees cache positions 0..p. The softmax is computed online over chunks of positions
/// (running max and denominator, accumulator rescaled when the max grows), so no score matrix of the full context is
/// ever stored. Work is split over the pool by (block of tokens, KV head, group of the query heads reading it): a task
/// converts each chunk of its KV head's keys and values to F32 once and uses it for all its tokens and heads (in a
/// prompt, up to <see cref="TokenBlock"/> tokens x 8 heads with Llama's grouping), instead of once per (token, head).
/// </summary>
public static unsafe class ScaledDotProductAttention
{
    /// <summary>Cache positions converted and scored at once (fewer for heads over 128 wide, see <see cref="ChunkFor"/>).</summary>
    private const int PositionChunk = 64;

    /// <summary>Floats of one converted key (or value) chunk: 32 KiB, so keys and values together stay in L1/L2.</summary>
    private const int ChunkFloats = 8192;

    /// <summary>Tokens a task takes: enough to share each converted chunk widely, few enough that the accumulators
    /// (tokens x heads x headDim floats) stay small.</summary>
    private const int TokenBlock = 8;

    /// <summary>Most accumulator floats a task keeps (tokens x heads x headDim): 64 KiB.</summary>
    private const int AccumulatorFloats = 16384;

    /// <summary>Largest head dimension; the per-task accumulator lives on the stack.</summary>
    public const int MaxHeadDimension = 1024;

    /// <summary>
    /// Computes attention for <paramref name="tokenCount"/> new tokens at positions
    /// firstPosition..firstPosition+tokenCount-1, whose keys and values are already in <paramref name="cache"/>.
    /// </summary>
    /// <param name="q">queries [tokenCount, headCount, headDim]</param>
    /// <param name="output">result [tokenCount, headCount, headDim]</param>
    /// <param name="scale">score scale; 0 means 1/sqrt(headDim)</param>
    public static void Compute(ReadOnlySpan<float> q, int tokenCount, int headCount, in KvCacheView cache, int firstPosition,
        Span<float> output, KernelThreadPool pool, float scale = 0)
    {
        int headDim = cache.HeadDim;
        if (headDim > MaxHeadDimension)
            throw new ArgumentOutOfRangeException(nameof(cache), headDim, $"head dimension must be at most {MaxHeadDimension}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenCount);
        ArgumentOutOfRangeException.ThrowIfNegative(firstPosition);
        if (headCount <= 0 || headCount % cache.KvHeadCount != 0)
            throw new ArgumentException($"{headCount} query heads is not a multiple of {cache.KvHeadCount} KV heads", nameof(headCount));
        long elements = (long)tokenCount * headCount * headDim;
        if (q.Length != elements)
            throw new ArgumentException($"q has {q.Length} elements, expected {tokenCount} x {headCount} x {headDim}", nameof(q));
        if (output.Length < elements)
            throw new ArgumentException($"output has {output.Length} elements, needs {elements}", nameof(output));
        ArgumentNullException.ThrowIfNull(pool);

        int group = headCount / cache.KvHeadCount;
        int tokensPerTask = Math.Min(TokenBlock, tokenCount);
        // Heads per task: the whole group unless that leaves the pool short of tasks (decoding) or the accumulators
        // too large; always a divisor of the group so a task never straddles two KV heads.
        int headsPerTask = group;
        int tokenBlocks = (tokenCount + tokensPerTask - 1) / tokensPerTask;
        while (headsPerTask > 1 && (tokensPerTask * headsPerTask * headDim > AccumulatorFloats
            || tokenBlocks * (headCount / headsPerTask) < 2 * pool.ThreadCount))
        {
            int smaller = headsPerTask - 1;
            while (group % smaller != 0)
                smaller--;
            headsPerTask = smaller;
        }
        while (tokensPerTask > 1 && tokensPerTask * headsPerTask * headDim > AccumulatorFloats)
            tokensPerTask--;
        tokenBlocks = (tokenCount + tokensPerTask - 1) / tokensPerTask;

        fixed (float* qPointer = q)
        fixed (float* outPointer = output)
        {
            var job = new Job
            {
                Q = qPointer,
                Output = outPointer,
                Cache = cache,
                HeadCount = headCount,
                TokenCount = tokenCount,
                FirstPosition = firstPosition,
                Scale = scale == 0 ? 1f / MathF.Sqrt(headDim) : scale,
                TokensPerTask = tokensPerTask,
                HeadsPerTask = headsPerTask,
            };
            pool.Run(tokenBlocks * (headCount / headsPerTask), &RunTask, &job);
        }
    }

    /// <summary>Positions per converted chunk: 64, or fewer so a chunk of wide heads stays within <see cref="ChunkFloats"/>.</summary>
    private static int ChunkFor(int headDim) => Math.Clamp(ChunkFloats / headDim, 1, PositionChunk);

    private struct Job
    {
        public float* Q;
        public float* Output;
        public KvCacheView Cache;
        public int HeadCount;
        public int TokenCount;
        public int FirstPosition;
        public float Scale;
        public int TokensPerTask;
        public int HeadsPerTask;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        ref readonly KvCacheView cache = ref job.Cache;
        int headDim = cache.HeadDim;
        int headBlocks = job.HeadCount / job.HeadsPerTask;
        int firstToken = task / headBlocks * job.TokensPerTask;
        int firstHead = task % headBlocks * job.HeadsPerTask;
        int tokens = Math.Min(job.TokensPerTask, job.TokenCount - firstToken);
        int heads = job.HeadsPerTask;
        int kvHead = firstHead / (job.HeadCount / cache.KvHeadCount);
        int rows = tokens * heads;                                       // query rows: r = t * heads + h
        if (PanelAttention.Applies(rows, headDim))
        {
            PanelAttention.Run(job.Q, job.Output, job.HeadCount, cache, job.FirstPosition, job.Scale, firstToken, tokens, firstHead, heads);
            return;
        }
        int chunkPositions = ChunkFor(headDim);

        float* accumulators = stackalloc float[rows * headDim];          // [rows, headDim] running Σ weight * v
        float* maxima = stackalloc float[rows];
        float* denominators = stackalloc float[rows];
        float* keys = stackalloc float[chunkPositions * headDim];        // [chunk, headDim] this chunk's keys in F32
        float* values = stackalloc float[chunkPositions * headDim];      // [chunk, headDim]
        float* scores = stackalloc float[chunkPositions];
        new Span<float>(accumulators, rows * headDim).Clear();
        new Span<float>(maxima, rows).Fill(float.NegativeInfinity);
        new Span<float>(denominators, rows).Clear();

        // Causal: token t (position firstPosition + t) sees positions 0..firstPosition + t.
        int lastVisible = job.FirstPosition + firstToken + tokens;       // exclusive, for the block's last token
        for (int start = 0; start < lastVisible; start += chunkPositions)
        {
            int count = Math.Min(chunkPositions, lastVisible - start);
            Convert(cache, start, count, kvHead, keys, values);
            for (int t = 0; t < tokens; t++)
            {
                int visible = Math.Min(count, job.FirstPosition + firstToken + t + 1 - start);
                if (visible <= 0)
                    continue;
                for (int h = 0; h < heads; h++)
                {
                    int r = t * heads + h;
                    float* q = job.Q + ((long)(firstToken + t) * job.HeadCount + firstHead + h) * headDim;
                    Accumulate(q, keys, values, visible, headDim, job.Scale, scores, accumulators + (long)r * headDim, ref maxima[r], ref denominators[r]);
                }
            }
        }
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int r = t * heads + h;
                var output = new Span<float>(job.Output + ((long)(firstToken + t) * job.HeadCount + firstHead + h) * headDim, headDim);
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(accumulators + (long)r * headDim, headDim), 1f / denominators[r], output);
            }
        }
    }

    /// <summary>Keys and values of positions start..start+count-1 for one KV head, as F32 rows (a page at a time: rows
    /// within a page are a fixed stride apart).</summary>
    internal static void Convert(in KvCacheView cache, int start, int count, int kvHead, float* keys, float* values)
    {
        int headDim = cache.HeadDim;
        long stride = cache.CellBytes;
        for (int j = 0; j < count;)
        {
            int run = cache.ContiguousRun(start + j, count - j);
            byte* keyRow = cache.KeyRow(start + j, kvHead);
            byte* valueRow = cache.ValueRow(start + j, kvHead);
            for (int r = 0; r < run; r++, j++, keyRow += stride, valueRow += stride)
            {
                // Prefetch never faults, so reaching past a page's cells is harmless.
                WeightPrefetch.Lines(keyRow + KvPrefetchCells * stride, cache.HeadRowBytes);
                WeightPrefetch.Lines(valueRow + KvPrefetchCells * stride, cache.HeadRowBytes);
                ToSingle(cache, keyRow, keys + j * headDim);
                ToSingle(cache, valueRow, values + j * headDim);
            }
        }
    }

    /// <summary>Cells ahead that <see cref="Convert"/> requests: one head's row of each cell is a short piece of a
    /// strided walk (128 of 512 bytes for TinyLlama), which the hardware prefetchers follow poorly across pages.</summary>
    private const int KvPrefetchCells = 16;

    /// <summary>One cached key or value row (a head's cell) as <see cref="KvCacheView.HeadDim"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ToSingle(in KvCacheView cache, byte* row, float* destination)
    {
        int headDim = cache.HeadDim;
        if (cache.Type == GgmlType.F16)
            HalfBits.ToSingle((ushort*)row, destination, headDim);
        else if (cache.Type == GgmlType.Q8_0)
            Q8_0Rows.Dequantize(row, headDim, destination);
        else
            new ReadOnlySpan<float>(row, headDim).CopyTo(new Span<float>(destination, headDim));
    }

    /// <summary>One query row against <paramref name="count"/> converted positions: the online-softmax update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(float* q, float* keys, float* values, int count, int headDim, float scale, float* scoreBuffer,
        float* accumulator, ref float runningMax, ref float denominator)
    {
        Scores(q, keys, count, headDim, scale, scoreBuffer);
        SoftmaxUpdate(new Span<float>(scoreBuffer, count), new Span<float>(accumulator, headDim), ref runningMax, ref denominator);
        WeightedValues(values, scoreBuffer, count, headDim, accumulator);
    }

    /// <summary>
    /// The online softmax's step for one query row and a chunk of its scores: when the chunk raises the running max,
    /// the accumulated weighted values and the denominator are rescaled to it; the scores become their weights
    /// exp(score - max), and their sum joins the denominator. Shared with <see cref="PanelAttention"/>.
    /// </summary>
    internal static void SoftmaxUpdate(Span<float> scores, Span<float> accumulator, ref float runningMax, ref float denominator)
    {
        float chunkMax = TensorPrimitives.Max(scores);
        if (chunkMax > runningMax)
        {
            // exp(-inf) = 0 on the first chunk: nothing accumulated yet.
            float rescale = MathF.Exp(runningMax - chunkMax);
            TensorPrimitives.Multiply(accumulator, rescale, accumulator);
            denominator *= rescale;
            runningMax = chunkMax;
        }
        denominator += Elementwise.Softmax.ExpOfDifferenceAndSum(scores, runningMax, scores);
    }

    /// <summary>
    /// scores[j] = scale * q · keys[j]. Heads are narrow (64-128 floats), so a library dot per key costs more in call
    /// and setup than in arithmetic. With 8-float vectors and a head width that is a multiple of 8, eight keys go
    /// together: one load of each q slice feeds eight independent FMA chains, and one shuffle tree sums all eight at
    /// once (a horizontal sum per key was a third of the work). Leftover keys take one short loop each; other widths
    /// the library dot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scores(float* q, float* keys, int count, int headDim, float scale, float* scores)
    {
        if (!Vector256.IsHardwareAccelerated || headDim % 8 != 0)
        {
            var query = new ReadOnlySpan<float>(q, headDim);
            for (int j = 0; j < count; j++)
                scores[j] = scale * TensorPrimitives.Dot(new ReadOnlySpan<float>(keys + j * headDim, headDim), query);
            return;
        }
        int first = 0;
        if (Avx.IsSupported)
        {
            for (; first + 8 <= count; first += 8)
            {
                float* k0 = keys + first * headDim, k1 = k0 + headDim, k2 = k1 + headDim, k3 = k2 + headDim;
                float* k4 = k3 + headDim, k5 = k4 + headDim, k6 = k5 + headDim, k7 = k6 + headDim;
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
                for (int d = 0; d < headDim; d += 8)
                {
                    var slice = Vector256.Load(q + d);
                    s0 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k0 + d), s0);
                    s1 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k1 + d), s1);
                    s2 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k2 + d), s2);
                    s3 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k3 + d), s3);
                    s4 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k4 + d), s4);
                    s5 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k5 + d), s5);
                    s6 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k6 + d), s6);
                    s7 = Vector256.FusedMultiplyAdd(slice, Vector256.Load(k7 + d), s7);
                }
                (EightSums(s0, s1, s2, s3, s4, s5, s6, s7) * scale).Store(scores + first);
            }
        }
        for (int j = first; j < count; j++)
        {
            float* key = keys + j * headDim;
            var even = Vector256<float>.Zero;
            var odd = Vector256<float>.Zero;
            int d = 0;
            for (; d + 16 <= headDim; d += 16)
            {
                even = Vector256.FusedMultiplyAdd(Vector256.Load(q + d), Vector256.Load(key + d), even);
                odd = Vector256.FusedMultiplyAdd(Vector256.Load(q + d + 8), Vector256.Load(key + d + 8), odd);
            }
            if (d < headDim)
                even = Vector256.FusedMultiplyAdd(Vector256.Load(q + d), Vector256.Load(key + d), even);
            scores[j] = scale * Vector256.Sum(even + odd);
        }
    }

    /// <summary>The horizontal sums of eight vectors, in order: pairwise adds within 128-bit lanes, then the two
    /// lanes' partial sums added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> EightSums(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        // u0 = [a0, a1, a2, a3 summed over elements 0..3 | the same over 4..7]; u1 likewise for a4..a7.
        var u0 = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        var u1 = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7));
        return Avx.Permute2x128(u0, u1, 0x20) + Avx.Permute2x128(u0, u1, 0x31);
    }

    /// <summary>
    /// accumulator += Σ_j weights[j] * values[j]. The accumulator stays in registers over all positions, 64 floats
    /// (eight independent FMA chains) at a time: one chain per 8-float slice waited on the FMA latency at every
    /// position. Narrower rests go 32 and then 8 floats at a time; widths that are no multiple of 8 take the library.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightedValues(float* values, float* weights, int count, int headDim, float* accumulator)
    {
        if (!Vector256.IsHardwareAccelerated || headDim % 8 != 0)
        {
            var acc = new Span<float>(accumulator, headDim);
            for (int j = 0; j < count; j++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(values + j * headDim, headDim), weights[j], acc, acc);
            return;
        }
        int d = 0;
        for (; d + 64 <= headDim; d += 64)
        {
            float* a = accumulator + d;
            Vector256<float> a0 = Vector256.Load(a), a1 = Vector256.Load(a + 8), a2 = Vector256.Load(a + 16), a3 = Vector256.Load(a + 24);
            Vector256<float> a4 = Vector256.Load(a + 32), a5 = Vector256.Load(a + 40), a6 = Vector256.Load(a + 48), a7 = Vector256.Load(a + 56);
            float* value = values + d;
            for (int j = 0; j < count; j++, value += headDim)
            {
                var weight = Vector256.Create(weights[j]);
                a0 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value), a0);
                a1 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 24), a3);
                a4 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 32), a4);
                a5 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 40), a5);
                a6 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 48), a6);
                a7 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 56), a7);
            }
            a0.Store(a); a1.Store(a + 8); a2.Store(a + 16); a3.Store(a + 24);
            a4.Store(a + 32); a5.Store(a + 40); a6.Store(a + 48); a7.Store(a + 56);
        }
        for (; d + 32 <= headDim; d += 32)
        {
            float* a = accumulator + d;
            Vector256<float> a0 = Vector256.Load(a), a1 = Vector256.Load(a + 8), a2 = Vector256.Load(a + 16), a3 = Vector256.Load(a + 24);
            float* value = values + d;
            for (int j = 0; j < count; j++, value += headDim)
            {
                var weight = Vector256.Create(weights[j]);
                a0 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value), a0);
                a1 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(weight, Vector256.Load(value + 24), a3);
            }
            a0.Store(a); a1.Store(a + 8); a2.Store(a + 16); a3.Store(a + 24);
        }
        for (; d < headDim; d += 8)
        {
            var slice = Vector256.Load(accumulator + d);
            float* value = values + d;
            for (int j = 0; j < count; j++, value += headDim)
                slice = Vector256.FusedMultiplyAdd(Vector256.Create(weights[j]), Vector256.Load(value), slice);
            slice.Store(accumulator + d);
        }
    }
}
