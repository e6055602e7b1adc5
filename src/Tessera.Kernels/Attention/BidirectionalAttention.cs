using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Tessera.Kernels.Threading;

namespace Tessera.Kernels.Attention;

/// <summary>
/// Full (non-causal) multi-head attention within one sequence, as encoders use it: every token sees every token of
/// its sequence, out = softmax(q·K^T * scale) · V per (token, head). No cache: the whole sequence is in the batch.
/// Work is split over the pool by (head, block of tokens); each task keeps one row of scores on its stack.
/// </summary>
public static unsafe class BidirectionalAttention
{
    /// <summary>Longest sequence: a row of scores lives on a worker's stack (64 KiB at this length).</summary>
    public const int MaxSequenceLength = 16384;

    /// <summary>Query tokens a task takes.</summary>
    private const int TokenBlock = 16;

    /// <param name="q">queries [tokens, heads, headDim]</param>
    /// <param name="k">keys [tokens, heads, headDim]</param>
    /// <param name="v">values [tokens, heads, headDim]</param>
    /// <param name="output">result [tokens, heads, headDim]</param>
    public static void Compute(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int tokenCount, int headCount, int headDim,
        Span<float> output, KernelThreadPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (tokenCount <= 0 || tokenCount > MaxSequenceLength)
            throw new ArgumentOutOfRangeException(nameof(tokenCount), tokenCount, $"a sequence must have 1..{MaxSequenceLength} tokens");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        long elements = (long)tokenCount * headCount * headDim;
        if (q.Length != elements || k.Length != elements || v.Length != elements)
            throw new ArgumentException($"q, k and v have {q.Length}, {k.Length}, {v.Length} elements, expected {tokenCount} x {headCount} x {headDim}", nameof(q));
        if (output.Length < elements)
            throw new ArgumentException($"output has {output.Length} elements, needs {elements}", nameof(output));

        int blocks = (tokenCount + TokenBlock - 1) / TokenBlock;
        fixed (float* qPointer = q)
        fixed (float* kPointer = k)
        fixed (float* vPointer = v)
        fixed (float* outPointer = output)
        {
            var job = new Job
            {
                Q = qPointer,
                K = kPointer,
                V = vPointer,
                Output = outPointer,
                TokenCount = tokenCount,
                HeadCount = headCount,
                HeadDim = headDim,
                Scale = 1f / MathF.Sqrt(headDim),
                Blocks = blocks,
            };
            pool.Run(blocks * headCount, &RunTask, &job);
        }
    }

    private struct Job
    {
        public float* Q;
        public float* K;
        public float* V;
        public float* Output;
        public int TokenCount;
        public int HeadCount;
        public int HeadDim;
        public float Scale;
        public int Blocks;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        int head = task / job.Blocks;
        int first = task % job.Blocks * TokenBlock;
        int last = Math.Min(first + TokenBlock, job.TokenCount);
        int n = job.TokenCount, d = job.HeadDim, stride = job.HeadCount * d;
        float* scores = stackalloc float[n];                              // [tokens] one query's scores, then weights
        var weights = new Span<float>(scores, n);
        for (int t = first; t < last; t++)
        {
            var query = new ReadOnlySpan<float>(job.Q + (long)t * stride + head * d, d);
            for (int j = 0; j < n; j++)
                scores[j] = TensorPrimitives.Dot(query, new ReadOnlySpan<float>(job.K + (long)j * stride + head * d, d)) * job.Scale;
            Elementwise.Softmax.Apply(weights);
            var result = new Span<float>(job.Output + (long)t * stride + head * d, d);
            result.Clear();
            for (int j = 0; j < n; j++)
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(job.V + (long)j * stride + head * d, d), scores[j], result, result);
        }
    }
}
