using System.Runtime.CompilerServices;
using Tessera.Kernels.Memory;
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
    /// A task walks its rows as this many interleaved sequential streams (rows i, i + n/2, i + 1, ...): the core then
    /// has two weight streams in flight for its prefetchers instead of one, which measured 6-10% faster decoding for
    /// Q4_0, Q4_K_M and Q8_0 (three or four streams were no better than two).
    /// </summary>
    private const int Streams = 2;

    /// <summary>Whether a weight type has a CPU matrix kernel.</summary>
    public static bool Supports(GgmlType weightType) => QuantKernels.IsSupported(weightType);

    /// <summary>The activation type <paramref name="weightType"/>'s dot product uses (F32, Q8_0, Q8_1 or Q8_K).</summary>
    public static GgmlType ActivationTypeFor(GgmlType weightType) => QuantKernels.Get(weightType).ActivationType;

    /// <param name="weights">[rows, k] in <paramref name="weightType"/>'s layout, rows contiguous</param>
    /// <param name="x">[k]</param>
    /// <param name="y">[rows]</param>
    public static void Compute(GgmlType weightType, byte* weights, long rows, int k, ReadOnlySpan<float> x, Span<float> y, KernelThreadPool pool)
    {
        if (y.Length < rows)
            throw new ArgumentException($"y has {y.Length} elements, needs {rows}", nameof(y));
        fixed (float* yPointer = y)
            ComputeShared([new MatVecTarget(weightType, weights, rows, yPointer)], k, x, pool);
    }

    /// <summary>
    /// Several matrix-vector products over the same x (a layer's q/k/v or gate/up projections) in one pass over the
    /// pool: x is quantized once per activation layout, and the threads synchronise once instead of once per matrix,
    /// so the tail where one thread waits for the other's last rows is paid once. Targets that carry their own x
    /// (<see cref="MatVecTarget.X"/>: the selected experts of a decode step) join the same single pass.
    /// </summary>
    /// <param name="targets">1..<see cref="MaxSharedTargets"/> matrices of row length k, each with its [rows] output</param>
    /// <param name="x">[k], the input of the targets without their own (may be empty when all have one)</param>
    public static void ComputeShared(ReadOnlySpan<MatVecTarget> targets, int k, ReadOnlySpan<float> x, KernelThreadPool pool)
    {
        if (targets.Length is < 1 or > MaxSharedTargets)
            throw new ArgumentOutOfRangeException(nameof(targets), targets.Length, $"1..{MaxSharedTargets} matrices");
        var job = new Job();
        Span<QuantKernel> kernels = stackalloc QuantKernel[targets.Length];
        nuint activationBytes = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var target = targets[i];
            if (target.Y == null)
                throw new ArgumentNullException(nameof(targets), $"matrix {i} has no output");
            kernels[i] = MatrixArguments.Validate(target.WeightType, target.Weights, target.Rows, k, target.X != null ? k : x.Length, 1, (int)Math.Min(int.MaxValue, target.Rows), pool);
            if (FirstSameLayout(targets, kernels, i, k) == i && kernels[i].QuantizeActivations != null)
                activationBytes += Aligned((nuint)kernels[i].ActivationRowBytes(k));
        }
        byte* scratch = activationBytes == 0 ? null : pool.Scratch.Get(activationBytes);
        fixed (float* xPointer = x)
        {
            int tasks = 0;
            for (int i = 0; i < targets.Length; i++)
            {
                var kernel = kernels[i];
                int same = FirstSameLayout(targets, kernels, i, k);
                float* input = targets[i].X != null ? targets[i].X : xPointer;
                byte* activations;
                if (kernel.QuantizeActivations == null)
                    activations = (byte*)input;
                else if (same < i)
                    activations = job.Parts[same].Activations;
                else
                {
                    activations = scratch;
                    kernel.QuantizeActivations(input, k, activations);
                    scratch += Aligned((nuint)kernel.ActivationRowBytes(k));
                }
                long rowsPerTask = RowsPerTask(targets[i].Rows, pool.ThreadCount);
                job.Parts[i] = new Part
                {
                    Kernel = kernel,
                    Activations = activations,
                    Tasks = new TargetTasks(targets[i].Weights, kernel.WeightRowBytes(k), targets[i].Rows, targets[i].Y, rowsPerTask, tasks),
                };
                tasks += job.Parts[i].Tasks.Count;
            }
            job.Count = targets.Length;
            job.K = k;
            pool.Run(tasks, &RunTask, &job);
        }
    }

    /// <summary>Most matrices <see cref="ComputeShared"/> takes at once: q/k/v, or gate and up of the selected experts
    /// of a few decode tokens.</summary>
    public const int MaxSharedTargets = 32;

    /// <summary>The first of kernels[0..i] reading the same input as target i with activations laid out like
    /// kernels[i]'s (whose quantized activations it can share).</summary>
    private static int FirstSameLayout(ReadOnlySpan<MatVecTarget> targets, ReadOnlySpan<QuantKernel> kernels, int i, int k)
    {
        for (int j = 0; j < i; j++)
        {
            if (targets[j].X == targets[i].X && kernels[j].ActivationType == kernels[i].ActivationType && kernels[j].BlockSize == kernels[i].BlockSize
                && kernels[j].ActivationRowBytes(k) == kernels[i].ActivationRowBytes(k))
                return j;
        }
        return i;
    }

    private static nuint Aligned(nuint bytes) => (bytes + Memory.ScratchArena.Alignment - 1) & ~(nuint)(Memory.ScratchArena.Alignment - 1);

    /// <summary>Rows per task: a multiple of 4 (the matmul tile height), at least <see cref="MinRowsPerTask"/>.</summary>
    internal static long RowsPerTask(long rows, int threads)
    {
        long perTask = Math.Max(MinRowsPerTask, (rows + threads * TasksPerThread - 1) / (threads * TasksPerThread));
        return (perTask + 3) & ~3L;
    }

    private struct Part
    {
        public QuantKernel Kernel;
        public byte* Activations;
        public TargetTasks Tasks;
    }

    [InlineArray(MaxSharedTargets)]
    private struct Parts
    {
        private Part _first;
    }

    private struct Job
    {
        public Parts Parts;
        public int Count;
        public int K;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        int index = job.Count - 1;
        while (job.Parts[index].Tasks.FirstTask > task)
            index--;
        ref Part part = ref job.Parts[index];
        var target = part.Tasks;
        long first = target.FirstRow(task);
        var dot = part.Kernel.Dot;
        byte* row = target.Weights + first * target.WeightRowBytes;
        long rowBytes = target.WeightRowBytes;
        long count = target.RowCount(task);
        long lanes = Math.Min(Streams, count);
        long segment = (count + lanes - 1) / lanes;
        bool streams = part.Kernel.StreamsWeights;
        for (long i = 0; i < segment; i++)
        {
            for (long s = 0; s < lanes; s++)
            {
                long r = s * segment + i;
                if (r >= count)
                    break;
                byte* w = row + r * rowBytes;
                if (!streams)
                    WeightPrefetch.Ahead(w, rowBytes);
                target.Y[first + r] = dot(w, part.Activations, job.K);
            }
        }
    }
}

/// <summary>One matrix of a <see cref="MatVec.ComputeShared"/> call: [rows, k] weights in their file type and the [rows] output.</summary>
/// <remarks><see cref="X"/>, when set, is this matrix's own input [k] (several experts' products over different
/// activations in one pass); otherwise the call's shared x is used.</remarks>
public readonly unsafe struct MatVecTarget(GgmlType weightType, byte* weights, long rows, float* y, float* x = null)
{
    public GgmlType WeightType { get; } = weightType;
    public byte* Weights { get; } = weights;
    public long Rows { get; } = rows;
    public float* Y { get; } = y;
    public float* X { get; } = x;
}
