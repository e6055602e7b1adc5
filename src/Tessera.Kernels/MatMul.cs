using System.Runtime.CompilerServices;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>
/// Matrix-matrix product for prompt processing: Y[tokens, rows] = X[tokens, k] · W[rows, k]^T, W in its file type.
/// All token rows are quantized once (in parallel), then weight rows are split over the pool. Within a task, tokens
/// are visited in tiles small enough for L2; four weight rows meet four tokens at a time in the type's tile kernel
/// (each decoded weight block and each loaded activation block used four times from registers), or, for types
/// without one, each row meets four tokens through its Dot4 kernel where it has one (the K-quants, Q8_0), else one
/// token at a time.
/// Float weights over many tokens take <see cref="FloatMatMul"/> instead (F16 and BF16 batches of a few tokens
/// <see cref="FloatBatchMatMul"/>, and without AVX-512 F16 and BF16 batches of a few to tens of tokens
/// <see cref="RowTripleMatMul"/>), and the quantized types on AVX2 <see cref="Int8PanelMatMul"/> from each type's
/// <see cref="QuantKernel.PanelMinTokens"/>.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>Tokens per tile: 64 activation rows of k = 8192 in Q8_0 are ~550 KB, within L2 on current x86 cores.</summary>
    private const int TokenTile = 64;

    /// <summary>Tokens the micro-kernels handle at once.</summary>
    internal const int MicroTokens = 4;

    /// <summary>Weight rows the tile kernel handles at once.</summary>
    private const int TileRows = 4;

    /// <param name="weights">[rows, k] in <paramref name="weightType"/>'s layout</param>
    /// <param name="x">[tokens, k]</param>
    /// <param name="y">[tokens, rows]</param>
    public static void Compute(GgmlType weightType, byte* weights, long rows, int k, ReadOnlySpan<float> x, int tokens, Span<float> y, KernelThreadPool pool)
    {
        var kernel = MatrixArguments.Validate(weightType, weights, rows, k, x.Length, tokens, y.Length, pool);
        if (tokens == 1)
        {
            MatVec.Compute(weightType, weights, rows, k, x, y, pool);
            return;
        }
        fixed (float* xPointer = x)
        fixed (float* yPointer = y)
        {
            if (FloatBatchMatMul.Applies(kernel, tokens))
            {
                FloatBatchMatMul.Compute(weightType, weights, rows, k, xPointer, tokens, yPointer, pool);
                return;
            }
            if (RowTripleMatMul.Applies(kernel, tokens))
            {
                RowTripleMatMul.ComputeShared([new PanelTarget(kernel, weights, rows, yPointer)], k, xPointer, tokens, pool);
                return;
            }
            if (FloatMatMul.Applies(kernel, tokens))
            {
                FloatMatMul.Compute(kernel, weights, rows, k, xPointer, tokens, yPointer, pool);
                return;
            }
            if (QuantKernels.TryGet(weightType, out var plain) && Int8PanelMatMul.Applies(plain, tokens))
            {
                Int8PanelMatMul.Compute(plain, weights, rows, k, xPointer, tokens, yPointer, pool);
                return;
            }
            var job = new Job
            {
                Kernel = kernel,
                Weights = weights,
                WeightRowBytes = kernel.WeightRowBytes(k),
                K = k,
                Rows = rows,
                Tokens = tokens,
                Y = yPointer,
                RowsPerTask = MatVec.RowsPerTask(rows, pool.ThreadCount),
            };
            if (kernel.QuantizeActivations == null)
            {
                job.Activations = (byte*)xPointer;
                job.ActivationRowBytes = (long)k * sizeof(float);
            }
            else
            {
                job.ActivationRowBytes = kernel.ActivationRowBytes(k);
                job.Activations = pool.Scratch.Get((nuint)(job.ActivationRowBytes * tokens));
                job.X = xPointer;
                pool.Run(tokens, &QuantizeTask, &job);
            }
            pool.Run((int)((rows + job.RowsPerTask - 1) / job.RowsPerTask), &MultiplyTask, &job);
        }
    }

    /// <summary>
    /// Several products over the same x (a layer's q/k/v, or gate and up): one token goes to
    /// <see cref="MatVec.ComputeShared"/>; float products that share a panel form, or int8 panel products that can share
    /// their activations, run as one pass of <see cref="FloatMatMul.ComputeShared"/> or
    /// <see cref="Int8PanelMatMul.ComputeShared"/> (x packed or quantized once, one synchronisation); others one at a
    /// time. Outputs with a <see cref="MatVecTarget.Rotary"/> come out rotated.
    /// </summary>
    /// <param name="targets">matrices of row length k, each with its [tokens, rows] output (x of their own is not taken)</param>
    /// <param name="x">[tokens, k]</param>
    public static void ComputeShared(ReadOnlySpan<MatVecTarget> targets, int k, ReadOnlySpan<float> x, int tokens, KernelThreadPool pool)
    {
        if (tokens == 1)
        {
            MatVec.ComputeShared(targets, k, x, pool);
            return;
        }
        foreach (var target in targets)
        {
            if (target.X != null)
                throw new ArgumentException("a matrix carries its own x, which a multi-token pass does not take", nameof(targets));
            if (target.Rotary.IsSet)
                target.Rotary.CheckedHeads(target.Rows);
        }
        Span<PanelTarget> panels = stackalloc PanelTarget[Math.Min(targets.Length, Int8PanelMatMul.MaxSharedTargets)];
        bool triples = targets.Length is > 1 and <= FloatMatMul.MaxSharedTargets;
        bool floats = triples, integers = targets.Length is > 1 and <= Int8PanelMatMul.MaxSharedTargets;
        for (int i = 0; i < targets.Length && (triples || floats || integers); i++)
        {
            var target = targets[i];
            var kernel = MatrixArguments.Validate(target.WeightType, target.Weights, target.Rows, k, x.Length, tokens, (int)Math.Min(int.MaxValue, target.Rows * tokens), pool);
            bool takesTriples = RowTripleMatMul.Applies(kernel, tokens);
            triples &= takesTriples;
            // A matrix that takes the row triples on its own never joins a float-panel pass, so that it comes out the same.
            floats &= FloatMatMul.Applies(kernel, tokens) && !FloatBatchMatMul.Applies(kernel, tokens) && !takesTriples
                && (i == 0 || FloatMatMul.SharesPanels(panels[0].Kernel, kernel, k));
            integers &= QuantKernels.TryGet(target.WeightType, out var plain) && Int8PanelMatMul.Applies(plain, tokens)
                && (i == 0 || Int8PanelMatMul.SharesActivations(plain, panels[0].Kernel));
            if (triples || floats || integers)
                panels[i] = new PanelTarget(triples || floats ? kernel : plain, target.Weights, target.Rows, target.Y);
        }
        if (triples || floats || integers)
        {
            fixed (float* xPointer = x)
            {
                if (triples)
                    RowTripleMatMul.ComputeShared(panels, k, xPointer, tokens, pool);
                else if (floats)
                    FloatMatMul.ComputeShared(panels, k, xPointer, tokens, pool);
                else
                    Int8PanelMatMul.ComputeShared(panels, k, xPointer, tokens, pool);
            }
        }
        else
        {
            foreach (var target in targets)
                Compute(target.WeightType, target.Weights, target.Rows, k, x, tokens, new Span<float>(target.Y, (int)Math.Min(int.MaxValue, target.Rows * tokens)), pool);
        }
        // Many tokens: each token's rows are rotated after the pass (one token rotates inside its tasks).
        foreach (var target in targets)
        {
            if (target.Rotary.IsSet)
                target.Rotary.Apply(target.Y, target.Rows, tokens);
        }
    }

    private struct Job
    {
        public QuantKernel Kernel;
        public byte* Weights;
        public long WeightRowBytes;
        public float* X;
        public byte* Activations;          // [tokens, activation row bytes]
        public long ActivationRowBytes;
        public int K;
        public long Rows;
        public int Tokens;
        public float* Y;                   // [tokens, rows]
        public long RowsPerTask;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeTask(void* state, int token, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        job.Kernel.QuantizeActivations(job.X + (long)token * job.K, job.K, job.Activations + token * job.ActivationRowBytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        long firstRow = task * job.RowsPerTask;
        long endRow = Math.Min(job.Rows, firstRow + job.RowsPerTask);
        var tile = job.Kernel.Tile;
        var tile2 = job.Kernel.Tile2;
        // Weight rows in groups of four go through the 4x4 tile kernel where the type has one.
        long tiledEnd = tile == null ? firstRow : firstRow + (endRow - firstRow) / TileRows * TileRows;
        for (int tokenTile = 0; tokenTile < job.Tokens; tokenTile += TokenTile)
        {
            int tileEnd = Math.Min(job.Tokens, tokenTile + TokenTile);
            int tiledTokens = tokenTile + (tileEnd - tokenTile) / MicroTokens * MicroTokens;
            for (long r = firstRow; r < tiledEnd; r += TileRows)
            {
                byte* rows = job.Weights + r * job.WeightRowBytes;
                // Few tokens (a batch of decode steps) touch each row once: stream the weights like a matvec does.
                if (tokenTile == 0)
                    WeightPrefetch.Ahead(rows, TileRows * job.WeightRowBytes);
                for (int t = tokenTile; t < tiledTokens; t += MicroTokens)
                    tile(rows, (nint)job.WeightRowBytes, job.Activations + t * job.ActivationRowBytes, (nint)job.ActivationRowBytes, job.K, job.Y + t * job.Rows + r, (nint)job.Rows);
                int singles = tiledTokens;
                if (tile2 != null && tileEnd - tiledTokens >= 2)
                {
                    tile2(rows, (nint)job.WeightRowBytes, job.Activations + tiledTokens * job.ActivationRowBytes, (nint)job.ActivationRowBytes, job.K, job.Y + tiledTokens * job.Rows + r, (nint)job.Rows);
                    singles += 2;
                }
                for (long row = r; row < r + TileRows; row++)
                    SingleTokens(ref job, row, singles, tileEnd);
            }
            // An entry whose dots request their own weights ahead (StreamsWeights, its many-token dots too) needs only
            // the task's first lines requested, as a matrix-vector task starts: a whole row requested at each row on
            // top of the dots' requests held BF16 at 3 tokens 1.2-1.3 times slower, and Q4_K and Q6_K batches of 4-8
            // tokens 1.06-1.23 times (paired, TinyLlama's shapes, weights from memory).
            bool rowRequests = !job.Kernel.StreamsWeights;
            if (!rowRequests && tokenTile == 0 && tiledEnd < endRow)
                WeightPrefetch.Opening(job.Weights + tiledEnd * job.WeightRowBytes);
            for (long r = tiledEnd; r < endRow; r++)
            {
                if (tokenTile == 0 && rowRequests)
                    WeightPrefetch.Ahead(job.Weights + r * job.WeightRowBytes, job.WeightRowBytes);
                RowAgainstTokens(ref job, r, tokenTile, tileEnd);
            }
        }
    }

    /// <summary>One weight row against tokens [first, end): four at a time through Dot4 and then two through Dot2 where
    /// available.</summary>
    private static void RowAgainstTokens(ref Job job, long r, int first, int end)
    {
        float* results = stackalloc float[MicroTokens];
        byte* row = job.Weights + r * job.WeightRowBytes;
        int t = first;
        var dot4 = job.Kernel.Dot4;
        if (dot4 != null)
        {
            for (; t + MicroTokens <= end; t += MicroTokens)
            {
                dot4(row, job.Activations + t * job.ActivationRowBytes, (nint)job.ActivationRowBytes, job.K, results);
                for (int i = 0; i < MicroTokens; i++)
                    job.Y[(t + i) * job.Rows + r] = results[i];
            }
        }
        SingleTokens(ref job, r, t, end);
    }

    /// <summary>One weight row against tokens [first, end) without a tile: three through Dot3 where exactly three are
    /// left and it is available, else two at a time through Dot2 where available (one pass over the row for both),
    /// then one at a time.</summary>
    private static void SingleTokens(ref Job job, long r, int first, int end)
    {
        byte* row = job.Weights + r * job.WeightRowBytes;
        int t = first;
        var dot3 = job.Kernel.Dot3;
        if (dot3 != null && end - t == 3)
        {
            float* three = stackalloc float[3];
            dot3(row, job.Activations + t * job.ActivationRowBytes, (nint)job.ActivationRowBytes, job.K, three);
            for (int i = 0; i < 3; i++)
                job.Y[(t + i) * job.Rows + r] = three[i];
            return;
        }
        var dot2 = job.Kernel.Dot2;
        if (dot2 != null)
        {
            float* results = stackalloc float[2];
            for (; t + 2 <= end; t += 2)
            {
                dot2(row, job.Activations + t * job.ActivationRowBytes, (nint)job.ActivationRowBytes, job.K, results);
                job.Y[t * job.Rows + r] = results[0];
                job.Y[(t + 1) * job.Rows + r] = results[1];
            }
        }
        for (; t < end; t++)
            job.Y[t * job.Rows + r] = job.Kernel.Dot(row, job.Activations + t * job.ActivationRowBytes, job.K);
    }
}
