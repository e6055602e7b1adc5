using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Attention;

/// <summary>
/// Causal multi-head attention over a KV cache with grouped-query heads:
/// out = softmax(q·K^T * scale) · V per (token, head), where query head h reads KV head h / (headCount / kvHeadCount)
/// and the token at position p sees cache positions 0..p. The softmax is computed online over chunks of positions
/// (running max and denominator, accumulator rescaled when the max grows), so no score matrix of the full context is
/// ever stored. Work is split over the pool by (token, head) pairs.
/// </summary>
public static unsafe class ScaledDotProductAttention
{
    /// <summary>Cache positions scored at once; the scores live on the stack.</summary>
    private const int PositionChunk = 64;

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

        fixed (float* qPointer = q)
        fixed (float* outPointer = output)
        {
            var job = new Job
            {
                Q = qPointer,
                Output = outPointer,
                Cache = cache,
                HeadCount = headCount,
                FirstPosition = firstPosition,
                Scale = scale == 0 ? 1f / MathF.Sqrt(headDim) : scale,
                KeyDot = QuantKernels.Get(cache.Type).Dot,
            };
            pool.Run(tokenCount * headCount, &RunTask, &job);
        }
    }

    private struct Job
    {
        public float* Q;
        public float* Output;
        public KvCacheView Cache;
        public int HeadCount;
        public int FirstPosition;
        public float Scale;
        public delegate*<byte*, byte*, int, float> KeyDot;   // cache-type row · F32 query
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        ref readonly KvCacheView cache = ref job.Cache;
        int headDim = cache.HeadDim;
        int token = task / job.HeadCount;
        int head = task % job.HeadCount;
        int kvHead = head / (job.HeadCount / cache.KvHeadCount);
        float* q = job.Q + (long)task * headDim;           // [headDim], task = token * headCount + head
        int visible = job.FirstPosition + token + 1;        // causal: positions 0..p

        float* accumulator = stackalloc float[headDim];     // [headDim] running sum of weight * v
        var acc = new Span<float>(accumulator, headDim);
        acc.Clear();
        Span<float> scores = stackalloc float[PositionChunk];
        float runningMax = float.NegativeInfinity;
        float denominator = 0;
        bool f16 = cache.Type == GgmlType.F16;

        for (int start = 0; start < visible; start += PositionChunk)
        {
            int count = Math.Min(PositionChunk, visible - start);
            var chunk = scores[..count];
            for (int j = 0; j < count; j++)
            {
                byte* key = cache.KeyRow(start + j, kvHead);
                chunk[j] = job.Scale * job.KeyDot(key, (byte*)q, headDim);
            }
            float chunkMax = TensorPrimitives.Max(chunk);
            if (chunkMax > runningMax)
            {
                // exp(-inf) = 0 on the first chunk: nothing accumulated yet.
                float rescale = MathF.Exp(runningMax - chunkMax);
                TensorPrimitives.Multiply(acc, rescale, acc);
                denominator *= rescale;
                runningMax = chunkMax;
            }
            TensorPrimitives.Subtract(chunk, runningMax, chunk);
            TensorPrimitives.Exp(chunk, chunk);
            denominator += TensorPrimitives.Sum(chunk);
            for (int j = 0; j < count; j++)
            {
                byte* value = cache.ValueRow(start + j, kvHead);
                if (f16)
                    F16Dot.MultiplyAdd(chunk[j], (ushort*)value, accumulator, headDim);
                else
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(value, headDim), chunk[j], acc, acc);
            }
        }
        TensorPrimitives.Multiply(acc, 1f / denominator, new Span<float>(job.Output + (long)task * headDim, headDim));
    }
}
