using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>
/// Matrix-vector product for decoding one token: y[rows] = W[rows, k] · x[k], with W in its file type, read in place.
/// x is quantized once to the activation type the weight type pairs with; rows are split over the pool in chunks.
/// </summary>
public static unsafe class MatVec
{
    /// <summary>Fewest rows a task gets, so per-task overhead stays small against the dot products.</summary>
    private const int MinRowsPerTask = 16;

    /// <summary>Tasks per thread: several, so a thread slowed by other load is balanced by the others.</summary>
    private const int TasksPerThread = 4;

    /// <summary>
    /// Bytes ahead of the current row that are prefetched while it is multiplied. The 4-bit dot products are
    /// compute-bound on one core, and without explicit prefetch the weight stream from DRAM and the arithmetic
    /// barely overlap (decode ran at ~60% of the cache-resident kernel rate). 4 KiB measured best on TinyLlama
    /// Q4_0 decode (2 KiB and 8-32 KiB were slower).
    /// </summary>
    private const long PrefetchDistance = 4096;

    private const int CacheLine = 64;

    /// <summary>Whether a weight type has a CPU matrix kernel.</summary>
    public static bool Supports(GgmlType weightType) => QuantKernels.IsSupported(weightType);

    /// <summary>The activation type <paramref name="weightType"/>'s dot product uses (F32, Q8_0, Q8_1 or Q8_K).</summary>
    public static GgmlType ActivationTypeFor(GgmlType weightType) => QuantKernels.Get(weightType).ActivationType;

    /// <param name="weights">[rows, k] in <paramref name="weightType"/>'s layout, rows contiguous</param>
    /// <param name="x">[k]</param>
    /// <param name="y">[rows]</param>
    public static void Compute(GgmlType weightType, byte* weights, long rows, int k, ReadOnlySpan<float> x, Span<float> y, KernelThreadPool pool)
    {
        var kernel = MatrixArguments.Validate(weightType, weights, rows, k, x.Length, 1, y.Length, pool);
        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            var job = new Job
            {
                Kernel = kernel,
                Weights = weights,
                WeightRowBytes = kernel.WeightRowBytes(k),
                Activations = MatrixArguments.QuantizeOne(kernel, xPointer, k, pool),
                K = k,
                Rows = rows,
                Y = yPointer,
                RowsPerTask = RowsPerTask(rows, pool.ThreadCount),
            };
            pool.Run((int)((rows + job.RowsPerTask - 1) / job.RowsPerTask), &RunTask, &job);
        }
    }

    /// <summary>Rows per task: a multiple of 4 (the matmul tile height), at least <see cref="MinRowsPerTask"/>.</summary>
    internal static long RowsPerTask(long rows, int threads)
    {
        long perTask = Math.Max(MinRowsPerTask, (rows + threads * TasksPerThread - 1) / (threads * TasksPerThread));
        return (perTask + 3) & ~3L;
    }

    private struct Job
    {
        public QuantKernel Kernel;
        public byte* Weights;
        public long WeightRowBytes;
        public byte* Activations;
        public int K;
        public long Rows;
        public float* Y;
        public long RowsPerTask;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        long first = task * job.RowsPerTask;
        long end = Math.Min(job.Rows, first + job.RowsPerTask);
        var dot = job.Kernel.Dot;
        byte* row = job.Weights + first * job.WeightRowBytes;
        long rowBytes = job.WeightRowBytes;
        bool prefetch = Sse.IsSupported;
        for (long r = first; r < end; r++, row += rowBytes)
        {
            // Prefetch is a hint: it never faults, so reading past the task's or the matrix's end is harmless.
            if (prefetch)
            {
                for (long offset = 0; offset < rowBytes; offset += CacheLine)
                    Sse.Prefetch0(row + PrefetchDistance + offset);
            }
            job.Y[r] = dot(row, job.Activations, job.K);
        }
    }
}
