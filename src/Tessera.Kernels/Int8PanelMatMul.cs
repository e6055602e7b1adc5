using System.Runtime.CompilerServices;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.Panel;
using Tessera.Kernels.Threading;

namespace Tessera.Kernels;

/// <summary>
/// Matrix-matrix product for the 4-, 5- and 6-bit weight types (Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K), and the
/// 8-bit ones (Q8_0, IQ4_NL; by the sign trick without VNNI), over enough tokens that repacking pays (prompt processing):
/// Y[tokens, rows] = X[tokens, k] · W[rows, k]^T. The tokens are quantized once with the type's own activation
/// quantizer and converted to <see cref="PanelActivations"/>; each task repacks its weight rows once, eight at a
/// time, into <see cref="PanelRecords"/>, then runs every token over them eight at a time in
/// <see cref="Int8PanelKernel"/>, the tokens visited in tiles small enough to stay in L2. The integer products are
/// exactly the type's dot product's; only the float accumulation order differs. Several matrices over the same input
/// (a layer's q/k/v, or gate and up) can share one pass (<see cref="ComputeShared"/>): the tokens are quantized once
/// and the threads synchronise once.
/// </summary>
internal static unsafe class Int8PanelMatMul
{
    /// <summary>Bytes of token activations one tile holds, so they stay in L2 while the task's row groups pass over them.</summary>
    private const int TileBytes = 512 * 1024;

    /// <summary>Most bytes of repacked weight rows a task holds (also L2-sized).</summary>
    private const int RepackedBytes = 512 * 1024;

    /// <summary>Tasks per thread, so a thread slowed by other load is balanced by the others.</summary>
    private const int TasksPerThread = 4;

    /// <summary>Most matrices one shared pass takes (q/k/v, gate/up).</summary>
    public const int MaxSharedTargets = 4;

    /// <summary>Whether a product over <paramref name="tokens"/> tokens with weights of <paramref name="kernel"/>'s type
    /// (its plain entry, <see cref="QuantKernels.TryGet(Tessera.Tensors.GgmlType, out QuantKernel)"/>) takes this path:
    /// AVX2, a panel type, at least <see cref="QuantKernel.PanelMinTokens"/> tokens (below, the weights are read about
    /// once and repacking them does not pay).</summary>
    public static bool Applies(in QuantKernel kernel, int tokens) =>
        kernel.PanelTile != null && tokens >= kernel.PanelMinTokens;

    /// <summary>Whether two panel kernels can share one pass's activations: the same activation blocks (the plain
    /// entries quantize each activation type one way) and the same panel form of them (q + 128, or signed for the sign
    /// trick).</summary>
    public static bool SharesActivations(in QuantKernel a, in QuantKernel b) =>
        a.ActivationType == b.ActivationType && a.ActivationBlockBytes == b.ActivationBlockBytes
        && a.PanelSignedActivations == b.PanelSignedActivations;

    /// <param name="kernel">the weight type's plain kernel entry (<see cref="Applies"/>)</param>
    /// <param name="weights">[rows, k] in the kernel's weight type</param>
    /// <param name="x">[tokens, k]</param>
    /// <param name="y">[tokens, rows]</param>
    public static void Compute(in QuantKernel kernel, byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool) =>
        ComputeShared([new PanelTarget(kernel, weights, rows, y)], k, x, tokens, pool);

    /// <summary>Each target's Y[tokens, rows] = X[tokens, k] · W[rows, k]^T in one pass over the pool.</summary>
    /// <param name="targets">1..<see cref="MaxSharedTargets"/> matrices whose kernels have a panel and share activations
    /// (<see cref="SharesActivations"/>)</param>
    public static void ComputeShared(ReadOnlySpan<PanelTarget> targets, int k, float* x, int tokens, KernelThreadPool pool)
    {
        if (targets.Length is < 1 or > MaxSharedTargets)
            throw new ArgumentOutOfRangeException(nameof(targets), targets.Length, $"1..{MaxSharedTargets} matrices");
        const int group = PanelRecords.Rows;
        var first = targets[0].Kernel;
        int subBlocks = k / PanelRecords.ValuesPerRecord;
        long groupBytes = (long)subBlocks * PanelRecords.RecordBytes;
        long activationBytes = PanelActivations.RowBytes(k);
        var job = new Job { Count = targets.Length };
        long largestTask = group;
        int tasks = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var target = targets[i];
            // The token threshold is the caller's speed choice (Applies); any count runs correctly.
            if (target.Kernel.PanelTile == null || !SharesActivations(target.Kernel, first))
                throw new ArgumentException($"matrix {i} ({target.Kernel.WeightType}) cannot share this panel pass", nameof(targets));
            long rowsPerTask = RowsPerTask(target.Rows, groupBytes, pool.ThreadCount);
            job.Parts[i] = new Part
            {
                Kernel = target.Kernel,
                Tasks = new TargetTasks(target.Weights, target.Kernel.WeightRowBytes(k), target.Rows, target.Y, rowsPerTask, tasks),
            };
            largestTask = Math.Max(largestTask, rowsPerTask);
            tasks += job.Parts[i].Tasks.Count;
        }
        long quantizedBytes = Aligned(first.ActivationRowBytes(k));
        long resultsOffset = largestTask / group * groupBytes;
        // Per thread: the task's repacked rows, one result tile, and one token in the type's activation blocks.
        long threadBytes = resultsOffset + Aligned(group * Int8PanelKernel.Tokens * sizeof(float)) + quantizedBytes;
        long tokensBytes = Aligned(tokens * activationBytes);
        byte* scratch = pool.Scratch.Get((nuint)(tokensBytes + pool.ThreadCount * threadBytes));
        job.Quantize = first.QuantizeActivations;
        job.ActivationType = first.ActivationType;
        job.SignedActivations = first.PanelSignedActivations;
        job.K = k;
        job.SubBlocks = subBlocks;
        job.GroupBytes = groupBytes;
        job.Tokens = tokens;
        job.X = x;
        job.Activations = scratch;
        job.ActivationBytes = activationBytes;
        job.TileTokens = (int)Math.Max(Int8PanelKernel.Tokens, TileBytes / activationBytes / Int8PanelKernel.Tokens * Int8PanelKernel.Tokens);
        job.ThreadScratch = scratch + tokensBytes;
        job.ThreadBytes = threadBytes;
        job.ResultsOffset = resultsOffset;
        job.QuantizedOffset = threadBytes - quantizedBytes;
        pool.Run(tokens, &QuantizeTask, &job);
        pool.Run(tasks, &MultiplyTask, &job);
    }

    /// <summary>A multiple of the row group, enough tasks to balance the threads, repacked rows within L2.</summary>
    private static long RowsPerTask(long rows, long groupBytes, int threads)
    {
        const int group = PanelRecords.Rows;
        long balanced = (rows + (long)threads * TasksPerThread - 1) / ((long)threads * TasksPerThread);
        long cached = RepackedBytes / groupBytes * group;
        long perTask = Math.Min(balanced, cached);
        return Math.Max(group, (perTask + group - 1) / group * group);
    }

    /// <summary>Rounds a byte count up to whole cache lines.</summary>
    private static long Aligned(long bytes) => (bytes + 63) & ~63L;

    private struct Part
    {
        public QuantKernel Kernel;
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
        public delegate*<float*, int, byte*, void> Quantize;
        public Tessera.Tensors.GgmlType ActivationType;
        public bool SignedActivations;
        public int K;
        public int SubBlocks;
        public long GroupBytes;
        public int Tokens;
        public float* X;
        public byte* Activations;      // [tokens][activation bytes]
        public long ActivationBytes;
        public int TileTokens;
        public byte* ThreadScratch;    // [thread][thread bytes]: repacked rows, result tile, one quantized token
        public long ThreadBytes;
        public long ResultsOffset;
        public long QuantizedOffset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeTask(void* state, int token, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        byte* destination = job.Activations + token * job.ActivationBytes;
        byte* quantized = job.ThreadScratch + threadIndex * job.ThreadBytes + job.QuantizedOffset;
        job.Quantize(job.X + (long)token * job.K, job.K, quantized);
        PanelActivations.Convert(job.ActivationType, quantized, job.K, destination, job.SignedActivations);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        int p = job.Count - 1;
        while (job.Parts[p].Tasks.FirstTask > task)
            p--;
        ref Part part = ref job.Parts[p];
        var target = part.Tasks;
        const int group = PanelRecords.Rows;
        const int width = Int8PanelKernel.Tokens;
        long first = target.FirstRow(task);
        int count = target.RowCount(task);
        int groups = (count + group - 1) / group;
        byte* records = job.ThreadScratch + threadIndex * job.ThreadBytes;
        float* results = (float*)(records + job.ResultsOffset);
        for (int g = 0; g < groups; g++)
        {
            byte* source = target.Weights + (first + g * group) * target.WeightRowBytes;
            part.Kernel.PanelRepack(source, (nint)target.WeightRowBytes, Math.Min(group, count - g * group), job.K, records + g * job.GroupBytes);
        }
        var pairTile = part.Kernel.PanelPairTile;
        for (int tileStart = 0; tileStart < job.Tokens; tileStart += job.TileTokens)
        {
            int tileEnd = Math.Min(job.Tokens, tileStart + job.TileTokens);
            for (int g = 0; g < groups; g++)
            {
                // Two full groups at once where the 512-bit pair tile runs (the same results as one at a time).
                bool paired = pairTile != null && count - g * group >= 2 * group;
                byte* groupRecords = records + g * job.GroupBytes;
                for (int t = tileStart; t < tileEnd; t += width)
                {
                    byte* activations = job.Activations + t * job.ActivationBytes;
                    float* y = target.Y + (long)t * target.Rows + first + g * group;
                    if (paired && job.Tokens - t >= width)
                    {
                        pairTile(groupRecords, groupRecords + job.GroupBytes, job.SubBlocks, activations, (nint)job.ActivationBytes, y, y + group, (nint)target.Rows);
                        continue;
                    }
                    Single(ref job, part.Kernel.PanelTile, groupRecords, count - g * group, activations, t, y, target.Rows, results);
                    if (paired)
                        Single(ref job, part.Kernel.PanelTile, groupRecords + job.GroupBytes, count - (g + 1) * group, activations, t, y + group, target.Rows, results);
                }
                if (paired)
                    g++;
            }
        }
    }

    /// <summary>One group (up to <paramref name="rowsLeft"/> of its 8 rows valid) against the up to 8 tokens from
    /// <paramref name="t"/> before the end: straight into y when all 8 rows are valid, else through the result tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Single(ref Job job, delegate*<byte*, int, byte*, nint, float*, nint, int, void> tile, byte* groupRecords, int rowsLeft,
        byte* activations, int t, float* y, long yStride, float* results)
    {
        const int group = PanelRecords.Rows;
        const int width = Int8PanelKernel.Tokens;
        int validRows = Math.Min(group, rowsLeft);
        int validTokens = Math.Min(width, job.Tokens - t);
        if (validRows == group)
        {
            tile(groupRecords, job.SubBlocks, activations, (nint)job.ActivationBytes, y, (nint)yStride, validTokens);
            return;
        }
        tile(groupRecords, job.SubBlocks, activations, (nint)job.ActivationBytes, results, group, validTokens);
        for (int i = 0; i < validTokens; i++)
        {
            for (int r = 0; r < validRows; r++)
                y[i * yStride + r] = results[i * group + r];
        }
    }
}
