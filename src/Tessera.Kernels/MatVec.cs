using System.Runtime.CompilerServices;
using Tessera.Kernels.Elementwise;
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
                job.Parts[i] = NewPart(kernel, targets[i], k, activations, tasks, pool);
                tasks += job.Parts[i].Tasks.Count;
            }
            job.Count = targets.Length;
            job.K = k;
            pool.Run(tasks, &RunTask, &job);
        }
    }

    /// <summary>
    /// y = W · (silu(gate) ⊙ up): a feed-forward down projection with its SwiGLU fused into the input. The activation is
    /// computed a chunk at a time straight into the form the type's dot reads (quantized for the integer dots), so the
    /// [k] product is never written out as floats and read back; the result is bit for bit that of
    /// <see cref="SwiGlu.Apply"/> followed by <see cref="Compute"/>.
    /// </summary>
    /// <param name="gate">[k]</param>
    /// <param name="up">[k]</param>
    /// <param name="y">[rows]</param>
    public static void ComputeGated(GgmlType weightType, byte* weights, long rows, int k, ReadOnlySpan<float> gate, ReadOnlySpan<float> up,
        Span<float> y, KernelThreadPool pool)
    {
        if (up.Length != gate.Length)
            throw new ArgumentException($"up has {up.Length} elements, gate has {gate.Length}", nameof(up));
        if (y.Length < rows)
            throw new ArgumentException($"y has {y.Length} elements, needs {rows}", nameof(y));
        var kernel = MatrixArguments.Validate(weightType, weights, rows, k, gate.Length, 1, (int)Math.Min(int.MaxValue, rows), pool);
        nuint activationBytes = kernel.QuantizeActivations == null ? 0 : Aligned((nuint)kernel.ActivationRowBytes(k));
        nuint floatBytes = IsChunked(kernel, k) ? 0 : (nuint)k * sizeof(float);
        byte* scratch = pool.Scratch.Get(activationBytes + floatBytes);
        var job = new Job { Count = 1, K = k };
        fixed (float* g = gate)
        fixed (float* u = up)
        fixed (float* yPointer = y)
        {
            byte* activations = WriteGatedActivations(kernel, g, u, k, scratch, (float*)(scratch + activationBytes));
            job.Parts[0] = NewPart(kernel, new MatVecTarget(weightType, weights, rows, yPointer), k, activations, 0, pool);
            pool.Run(job.Parts[0].Tasks.Count, &RunTask, &job);
        }
    }

    /// <summary>
    /// silu(gate) x up in the form <paramref name="kernel"/>'s dot reads: quantized into <paramref name="activations"/>
    /// a chunk at a time when whole chunks allow it, otherwise computed into <paramref name="floats"/> [k] first.
    /// Returns where the dot's activations are.
    /// </summary>
    private static byte* WriteGatedActivations(in QuantKernel kernel, float* g, float* u, int k, byte* activations, float* floats)
    {
        var quantize = kernel.QuantizeActivations;
        if (IsChunked(kernel, k))
        {
            // Each chunk is whole activation blocks, and blocks quantize on their own: chunk c fills bytes
            // c * chunkBytes onwards exactly as quantizing the whole row would.
            float* values = stackalloc float[GatedChunk];
            long chunkBytes = kernel.ActivationRowBytes(GatedChunk);
            for (int c = 0; c < k / GatedChunk; c++)
            {
                SwiGlu.Apply(new ReadOnlySpan<float>(g + c * GatedChunk, GatedChunk), new ReadOnlySpan<float>(u + c * GatedChunk, GatedChunk),
                    new Span<float>(values, GatedChunk));
                quantize(values, GatedChunk, activations + c * chunkBytes);
            }
            return activations;
        }
        SwiGlu.Apply(new ReadOnlySpan<float>(g, k), new ReadOnlySpan<float>(u, k), new Span<float>(floats, k));
        if (quantize == null)
            return (byte*)floats;
        quantize(floats, k, activations);
        return activations;
    }

    private static bool IsChunked(in QuantKernel kernel, int k) =>
        kernel.QuantizeActivations != null && k % GatedChunk == 0 && GatedChunk % kernel.BlockSize == 0;

    /// <summary>For benchmarks: <see cref="ComputeGated"/>'s activations for <paramref name="weightType"/>, k a multiple
    /// of <see cref="GatedChunk"/> (written to <paramref name="activations"/>, which must hold the type's row).</summary>
    internal static void GatedActivations(GgmlType weightType, float* gate, float* up, int k, byte* activations)
    {
        var kernel = QuantKernels.Get(weightType);
        if (!IsChunked(kernel, k))
            throw new ArgumentException($"{weightType} at k = {k} does not take the chunked path", nameof(k));
        WriteGatedActivations(kernel, gate, up, k, activations, null);
    }

    /// <summary>Values <see cref="ComputeGated"/> activates and quantizes at a time: whole blocks of every activation
    /// layout (32 to 256 values), small enough for the stack and L1.</summary>
    private const int GatedChunk = 256;

    /// <summary>One matrix's share of a pass: its tasks from <paramref name="firstTask"/> on. Tasks that rotate their
    /// output (<see cref="MatVecTarget.Rotary"/>) hold whole heads, so each rotates what it wrote while it is in L1.</summary>
    private static Part NewPart(in QuantKernel kernel, in MatVecTarget target, int k, byte* activations, int firstTask, KernelThreadPool pool)
    {
        long rowsPerTask = RowsPerTask(target.Rows, pool.ThreadCount);
        if (target.Rotary.IsSet)
        {
            target.Rotary.CheckedHeads(target.Rows);
            // The least multiple of a head and of 4, the rows-per-task unit.
            long head = target.Rotary.HeadDim;
            long unit = head % 4 == 0 ? head : head % 2 == 0 ? 2 * head : 4 * head;
            rowsPerTask = (rowsPerTask + unit - 1) / unit * unit;
        }
        return new Part
        {
            Kernel = kernel,
            Activations = activations,
            Tasks = new TargetTasks(target.Weights, kernel.WeightRowBytes(k), target.Rows, target.Y, rowsPerTask, firstTask),
            Rotary = target.Rotary,
        };
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
        public RotaryOutput Rotary;
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
        if (streams)
        {
            for (long s = 0; s < lanes; s++)
                WeightPrefetch.Opening(row + s * segment * rowBytes);
        }
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
        if (part.Rotary.IsSet)
            part.Rotary.Apply(target.Y + first, count, 1);
    }
}

/// <summary>One matrix of a <see cref="MatVec.ComputeShared"/> call: [rows, k] weights in their file type and the [rows] output.</summary>
/// <remarks><see cref="X"/>, when set, is this matrix's own input [k] (several experts' products over different
/// activations in one pass); otherwise the call's shared x is used. <see cref="Rotary"/>, when set, rotates the output
/// (a layer's q or k) as part of the product.</remarks>
public readonly unsafe struct MatVecTarget(GgmlType weightType, byte* weights, long rows, float* y, float* x = null, RotaryOutput rotary = default)
{
    public GgmlType WeightType { get; } = weightType;
    public byte* Weights { get; } = weights;
    public long Rows { get; } = rows;
    public float* Y { get; } = y;
    public float* X { get; } = x;
    public RotaryOutput Rotary { get; } = rotary;
}
