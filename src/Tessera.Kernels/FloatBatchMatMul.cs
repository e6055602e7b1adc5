using System.Runtime.CompilerServices;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>
/// F16 and BF16 weights times a small batch of tokens (a short prompt, or the server's batched decode steps):
/// Y[tokens, rows] = X[tokens, k] · W[rows, k]^T in one pass over the weights. Where its machine code runs,
/// <see cref="RowPairMatMul"/> takes the batch (<c>vcvtph2ps</c> for F16, with AVX-512 or AVX2; <c>vdpbf16ps</c> for
/// BF16 with AVX512-BF16). Elsewhere, with AVX-512, two rows at a time (one from each half of a task) meet groups of 8 tokens (for the last
/// 1-4 tokens, 4) in the managed <see cref="FloatRowPairKernel{TRows}"/>; the activations are read as they are, and
/// k is cut into ranges whose activations for all the tokens fit in L1 (<see cref="ActivationBytes"/>): read for
/// every row pair, from L2 they were the limit (eight 64-byte loads per 16 values of two rows).
/// </summary>
internal static unsafe class FloatBatchMatMul
{
    /// <summary>Bytes of activations a k range holds for all the tokens: two thirds of a 48 KiB L1.</summary>
    private const int ActivationBytes = 32 * 1024;

    /// <summary>
    /// Whether a product of <paramref name="tokens"/> tokens with <paramref name="kernel"/>'s weight type takes this
    /// path: AVX-512, and the batch sizes where it measured faster end to end on TinyLlama-shape models (alternating
    /// runs, see PERFORMANCE.md). With the machine code those of <see cref="RowPairMatMul.Applies"/>; with the managed
    /// kernel F16 at 7-10 tokens (pp8 60-64 -> 79-81 t/s, against its four-token F16C dot below, where at 5 three of
    /// eight tokens computed for nothing cost 30%, and the float panels above) and BF16 without AVX512-BF16 at 6-7
    /// (pp7 57-60 -> 85-87 t/s). F32 reads twice the bytes and stays on its panels and tiles.
    /// </summary>
    public static bool Applies(in QuantKernel kernel, int tokens) => kernel.WeightType switch
    {
        GgmlType.F16 or GgmlType.BF16 when RowPairTile.Supports(kernel.WeightType) => RowPairMatMul.Applies(kernel.WeightType, tokens),
        GgmlType.F16 => IsaSupport.Avx512 && tokens is >= 7 and <= 10,
        GgmlType.BF16 => IsaSupport.Avx512 && tokens is >= 6 and <= 7,
        _ => false,
    };

    /// <param name="weights">[rows, k] in a float type (<see cref="Applies"/>)</param>
    /// <param name="x">[tokens, k]</param>
    /// <param name="y">[tokens, rows]</param>
    public static void Compute(GgmlType weightType, byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool)
    {
        if (RowPairMatMul.Applies(weightType, tokens))
            RowPairMatMul.Compute(weightType, weights, rows, k, x, tokens, y, pool);
        else
            ComputeManaged(weightType, weights, rows, k, x, tokens, y, pool);
    }

    /// <summary>The managed row-pair kernel's pass, where <see cref="RowPairMatMul"/> does not apply (and for the
    /// tests, which run it everywhere AVX-512 does).</summary>
    internal static void ComputeManaged(GgmlType weightType, byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool)
    {
        var plain = QuantKernels.Get(weightType);
        var job = new Job
        {
            Weights = weights,
            WeightRowBytes = plain.WeightRowBytes(k),
            Rows = rows,
            K = k,
            X = x,
            Tokens = tokens,
            Y = y,
            RowsPerTask = MatVec.RowsPerTask(rows, pool.ThreadCount),
            Dot = plain.Dot,
            Range = Math.Max(16, ActivationBytes / sizeof(float) / tokens / 16 * 16),
        };
        switch (weightType)
        {
            case GgmlType.F16:
                job.Eight = &FloatRowPairKernel<F16Rows>.Compute<EightTokens>;
                job.Four = &FloatRowPairKernel<F16Rows>.Compute<FourTokens>;
                break;
            case GgmlType.BF16:
                job.Eight = &FloatRowPairKernel<BF16Rows>.Compute<EightTokens>;
                job.Four = &FloatRowPairKernel<BF16Rows>.Compute<FourTokens>;
                break;
            default:
                throw new ArgumentException($"{weightType} is not F16 or BF16", nameof(weightType));
        }
        pool.Run((int)((rows + job.RowsPerTask - 1) / job.RowsPerTask), &Task, &job);
    }

    private struct Job
    {
        public byte* Weights;
        public long WeightRowBytes;
        public long Rows;
        public int K;
        public float* X;             // [tokens, k]
        public int Tokens;
        public float* Y;             // [tokens, rows]
        public long RowsPerTask;
        public int Range;            // values of k per range
        public delegate*<byte*, byte*, int, float> Dot;
        public delegate*<byte*, nint, float*, nint, int, int, int, float*, nint, nint, bool, void> Eight;
        public delegate*<byte*, nint, float*, nint, int, int, int, float*, nint, nint, bool, void> Four;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Task(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        long first = task * job.RowsPerTask, end = Math.Min(job.Rows, first + job.RowsPerTask);
        int elementBytes = (int)(job.WeightRowBytes / job.K);
        // Two sequential weight streams, as a matrix-vector task walks: a pair is row i of each half of the task
        // (pairs of neighbouring rows: F16 pp8 82-83 -> 85-89 t/s, pp10 76-78 -> 80-81, alternating runs).
        long half = (end - first + 1) / 2, pairs = (end - first) / 2;
        nint stride = (nint)(half * job.WeightRowBytes);
        for (int from = 0; from < job.K; from += job.Range)
        {
            int to = Math.Min(job.K, from + job.Range);
            for (long i = 0; i < pairs; i++)
            {
                long r = first + i;
                byte* rows = job.Weights + r * job.WeightRowBytes;
                // Each pair's range is read once: request the range of the pair after next while this one runs.
                byte* ahead = rows + 2 * job.WeightRowBytes + from * elementBytes;
                WeightPrefetch.Lines(ahead, (to - from) * elementBytes);
                WeightPrefetch.Lines(ahead + stride, (to - from) * elementBytes);
                for (int t = 0; t < job.Tokens; t += 8)
                {
                    int valid = Math.Min(8, job.Tokens - t);
                    var pair = valid > 4 ? job.Eight : job.Four;
                    pair(rows, stride, job.X + (long)t * job.K, job.K, valid, from, to, job.Y + t * job.Rows + r, (nint)job.Rows, (nint)half, from > 0);
                }
            }
        }
        // An odd row count leaves the first half's last row alone: through the type's dot.
        if (half > pairs)
        {
            long r = first + half - 1;
            byte* row = job.Weights + r * job.WeightRowBytes;
            for (int t = 0; t < job.Tokens; t++)
                job.Y[t * job.Rows + r] = job.Dot(row, (byte*)(job.X + (long)t * job.K), job.K);
        }
    }
}
