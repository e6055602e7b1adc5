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
/// exactly the type's dot product's; only the float accumulation order differs.
/// </summary>
internal static unsafe class Int8PanelMatMul
{
    /// <summary>Bytes of token activations one tile holds, so they stay in L2 while the task's row groups pass over them.</summary>
    private const int TileBytes = 512 * 1024;

    /// <summary>Most bytes of repacked weight rows a task holds (also L2-sized).</summary>
    private const int RepackedBytes = 512 * 1024;

    /// <summary>Tasks per thread, so a thread slowed by other load is balanced by the others.</summary>
    private const int TasksPerThread = 4;

    /// <summary>Whether a product over <paramref name="tokens"/> tokens with weights of <paramref name="kernel"/>'s type
    /// (its plain entry, <see cref="QuantKernels.TryGet(Tessera.Tensors.GgmlType, out QuantKernel)"/>) takes this path:
    /// AVX2, a panel type, at least <see cref="QuantKernel.PanelMinTokens"/> tokens (below, the weights are read about
    /// once and repacking them does not pay).</summary>
    public static bool Applies(in QuantKernel kernel, int tokens) =>
        kernel.PanelTile != null && tokens >= kernel.PanelMinTokens;

    /// <param name="kernel">the weight type's plain kernel entry (<see cref="Applies"/>)</param>
    /// <param name="weights">[rows, k] in the kernel's weight type</param>
    /// <param name="x">[tokens, k]</param>
    /// <param name="y">[tokens, rows]</param>
    public static void Compute(in QuantKernel kernel, byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool)
    {
        const int group = PanelRecords.Rows;
        int subBlocks = k / PanelRecords.ValuesPerRecord;
        long groupBytes = (long)subBlocks * PanelRecords.RecordBytes;
        long activationBytes = PanelActivations.RowBytes(k);
        int paddedTokens = (tokens + Int8PanelKernel.Tokens - 1) / Int8PanelKernel.Tokens * Int8PanelKernel.Tokens;
        long rowsPerTask = RowsPerTask(rows, groupBytes, pool.ThreadCount);
        long quantizedBytes = Aligned(kernel.ActivationRowBytes(k));
        // Per thread: the task's repacked rows, one result tile, and one token in the type's activation blocks.
        long threadBytes = rowsPerTask / group * groupBytes + Aligned(group * Int8PanelKernel.Tokens * sizeof(float)) + quantizedBytes;
        long tokensBytes = Aligned(paddedTokens * activationBytes);
        byte* scratch = pool.Scratch.Get((nuint)(tokensBytes + pool.ThreadCount * threadBytes));
        int tileTokens = (int)Math.Max(Int8PanelKernel.Tokens, TileBytes / activationBytes / Int8PanelKernel.Tokens * Int8PanelKernel.Tokens);
        var job = new Job
        {
            Kernel = kernel,
            Weights = weights,
            WeightRowBytes = kernel.WeightRowBytes(k),
            K = k,
            SubBlocks = subBlocks,
            GroupBytes = groupBytes,
            Rows = rows,
            Tokens = tokens,
            X = x,
            Y = y,
            Activations = scratch,
            ActivationBytes = activationBytes,
            PaddedTokens = paddedTokens,
            TileTokens = tileTokens,
            RowsPerTask = rowsPerTask,
            ThreadScratch = scratch + tokensBytes,
            ThreadBytes = threadBytes,
            QuantizedOffset = threadBytes - quantizedBytes,
        };
        pool.Run(paddedTokens, &QuantizeTask, &job);
        pool.Run((int)((rows + rowsPerTask - 1) / rowsPerTask), &MultiplyTask, &job);
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

    private struct Job
    {
        public QuantKernel Kernel;
        public byte* Weights;
        public long WeightRowBytes;
        public int K;
        public int SubBlocks;
        public long GroupBytes;
        public long Rows;
        public int Tokens;
        public float* X;
        public float* Y;
        public byte* Activations;      // [padded tokens][activation bytes]
        public long ActivationBytes;
        public int PaddedTokens;
        public int TileTokens;
        public long RowsPerTask;
        public byte* ThreadScratch;    // [thread][thread bytes]: repacked rows, result tile, one quantized token
        public long ThreadBytes;
        public long QuantizedOffset;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeTask(void* state, int token, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        byte* destination = job.Activations + token * job.ActivationBytes;
        if (token >= job.Tokens)
        {
            PanelActivations.Zero(job.K, destination);
            return;
        }
        byte* quantized = job.ThreadScratch + threadIndex * job.ThreadBytes + job.QuantizedOffset;
        job.Kernel.QuantizeActivations(job.X + (long)token * job.K, job.K, quantized);
        PanelActivations.Convert(job.Kernel.ActivationType, quantized, job.K, destination, job.Kernel.PanelSignedActivations);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        const int group = PanelRecords.Rows;
        const int width = Int8PanelKernel.Tokens;
        long first = task * job.RowsPerTask;
        int count = (int)Math.Min(job.RowsPerTask, job.Rows - first);
        int groups = (count + group - 1) / group;
        byte* records = job.ThreadScratch + threadIndex * job.ThreadBytes;
        float* results = (float*)(records + job.RowsPerTask / group * job.GroupBytes);
        for (int g = 0; g < groups; g++)
        {
            byte* source = job.Weights + (first + g * group) * job.WeightRowBytes;
            job.Kernel.PanelRepack(source, (nint)job.WeightRowBytes, Math.Min(group, count - g * group), job.K, records + g * job.GroupBytes);
        }
        var tile = job.Kernel.PanelTile;
        for (int tileStart = 0; tileStart < job.PaddedTokens; tileStart += job.TileTokens)
        {
            int tileEnd = Math.Min(job.PaddedTokens, tileStart + job.TileTokens);
            for (int g = 0; g < groups; g++)
            {
                byte* groupRecords = records + g * job.GroupBytes;
                int validRows = Math.Min(group, count - g * group);
                for (int t = tileStart; t < tileEnd; t += width)
                {
                    byte* activations = job.Activations + t * job.ActivationBytes;
                    float* y = job.Y + (long)t * job.Rows + first + g * group;
                    int validTokens = Math.Min(width, job.Tokens - t);
                    if (validRows == group && validTokens == width)
                    {
                        tile(groupRecords, job.SubBlocks, activations, (nint)job.ActivationBytes, y, (nint)job.Rows);
                        continue;
                    }
                    tile(groupRecords, job.SubBlocks, activations, (nint)job.ActivationBytes, results, group);
                    for (int i = 0; i < validTokens; i++)
                    {
                        for (int r = 0; r < validRows; r++)
                            y[i * job.Rows + r] = results[i * group + r];
                    }
                }
            }
        }
    }
}
