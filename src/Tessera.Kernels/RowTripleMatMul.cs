using System.Runtime.CompilerServices;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>
/// Float weights times batches of a few to tens of tokens on CPUs without AVX-512 (F16 7-40 tokens, BF16 4-32, F32
/// 4-10): Y[tokens, rows] = X[tokens, k] · W[rows, k]^T with nothing packed. Three rows at a time meet every group of
/// four tokens in <see cref="RowTripleTile"/>, which reads the rows and the tokens where they lie; the first group of a
/// triple requests the next triple's rows as it goes, so the weights stream in while it computes. At these sizes the
/// other paths paid for a pass over the weights before their tiles (the row panels' transpose, 18-21% of an F16 pp32
/// profile, and the float panels' conversion) over too few tokens, the row panels computed up to 4 tokens of padding
/// per 32, and the 4 x 4 tile (BF16, and F32 below 8 tokens) read each weight for four tokens only. Several matrices
/// over one input (q/k/v, gate and up) share one pass of the pool (<see cref="ComputeShared"/>).
/// </summary>
internal static unsafe class RowTripleMatMul
{
    /// <summary>Fewest F16 tokens this path takes: below, <see cref="RowPairMatMul"/>'s 2 x 4 tile, which requests the
    /// next rows all through, measured level (TinyLlama-shape F16 matrices, 6 tokens, alternating on a Zen 3).</summary>
    public const int MinF16Tokens = 7;

    /// <summary>Most F16 tokens this path takes: four tokens' activations are read from L2 for every triple, and past
    /// about 40 tokens the row panels, whose tile streams far fewer bytes per FMA, catch up with the cost of their
    /// packing (matrices of TinyLlama's shapes on a Zen 3: 10-19% ahead at 32 tokens, 5-12% behind at 48; end to end
    /// the row panels ran ahead at 48 and 64 in 4 of 5 rounds each).</summary>
    public const int MaxF16Tokens = 40;

    /// <summary>Fewest BF16 tokens this path takes: one group of 4 (2-3 take the two-token dot). Against BF16's 4 x 4
    /// tile, matrices of TinyLlama's shapes on a Zen 3 ran 44-75% faster at 4 tokens and 34-53% at 16.</summary>
    public const int MinBF16Tokens = Tokens;

    /// <summary>Most BF16 tokens this path takes; the row panels take BF16 from here on (the same matrices: 4-14% ahead of
    /// them at 32 tokens, 5-9% behind at 40 and 48).</summary>
    public const int MaxBF16Tokens = 32;

    /// <summary>Fewest F32 tokens this path takes: one group of 4. End to end on a TinyLlama-shape F32 model (Zen 3,
    /// alternating): pp4 17.5-19.7 against 12.4-13.4 t/s for the 4 x 4 tile, pp8 21-28 against 18-21 for the float
    /// panels.</summary>
    public const int MinF32Tokens = Tokens;

    /// <summary>Most F32 tokens this path takes: F32 rows are twice the bytes, and the float panels, which read them in
    /// place too, catch up sooner (pp10 ahead here in 2 of 3 rounds, pp12 level, pp16 the panels 15-30% ahead).</summary>
    public const int MaxF32Tokens = 10;

    private const int Tokens = RowTripleTile.Tokens;

    /// <summary>Tasks per thread, so a thread slowed by other load is balanced by the others.</summary>
    private const int TasksPerThread = 4;

    /// <summary>Whether a product of <paramref name="tokens"/> tokens with <paramref name="kernel"/>'s weights takes this
    /// path: F16, BF16 or F32, no AVX-512 (whose own tiles keep these sizes), the tile runs here, and a token count in the
    /// type's range.</summary>
    public static bool Applies(in QuantKernel kernel, int tokens) => !IsaSupport.Avx512 && RowTripleTile.Supports(kernel.WeightType) && kernel.WeightType switch
    {
        GgmlType.F16 => tokens >= MinF16Tokens && tokens <= MaxF16Tokens,
        GgmlType.BF16 => tokens >= MinBF16Tokens && tokens <= MaxBF16Tokens,
        _ => tokens >= MinF32Tokens && tokens <= MaxF32Tokens,
    };

    /// <summary>Each target's Y[tokens, rows] = X[tokens, k] · W[rows, k]^T in one pass over the pool.</summary>
    /// <param name="targets">1..<see cref="FloatMatMul.MaxSharedTargets"/> F16, BF16 or F32 matrices (<see cref="RowTripleTile.Supports"/>)</param>
    /// <param name="x">[tokens, k], at least <see cref="RowTripleTile.Tokens"/> tokens</param>
    public static void ComputeShared(ReadOnlySpan<PanelTarget> targets, int k, float* x, int tokens, KernelThreadPool pool)
    {
        if (targets.Length is < 1 or > FloatMatMul.MaxSharedTargets)
            throw new ArgumentOutOfRangeException(nameof(targets), targets.Length, $"1..{FloatMatMul.MaxSharedTargets} matrices");
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, Tokens);
        var job = new Job { Count = targets.Length, K = k, Tokens = tokens, X = x };
        int tasks = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var target = targets[i];
            if (!RowTripleTile.Supports(target.Kernel.WeightType))
                throw new ArgumentException($"matrix {i} is {target.Kernel.WeightType}, which the row triples do not take here", nameof(targets));
            job.Parts[i] = new Part
            {
                Type = target.Kernel.WeightType,
                Tasks = new TargetTasks(target.Weights, target.Kernel.WeightRowBytes(k), target.Rows, target.Y, RowsPerTask(target.Rows, pool.ThreadCount), tasks),
            };
            tasks += job.Parts[i].Tasks.Count;
        }
        pool.Run(tasks, &MultiplyTask, &job);
    }

    /// <summary>A multiple of 3 rows, enough tasks to balance the threads.</summary>
    private static long RowsPerTask(long rows, int threads)
    {
        long balanced = (rows + (long)threads * TasksPerThread - 1) / ((long)threads * TasksPerThread);
        return (balanced + RowTripleTile.Rows - 1) / RowTripleTile.Rows * RowTripleTile.Rows;
    }

    private struct Part
    {
        public GgmlType Type;
        public TargetTasks Tasks;
    }

    [InlineArray(FloatMatMul.MaxSharedTargets)]
    private struct Parts
    {
        private Part _first;
    }

    private struct Job
    {
        public Parts Parts;
        public int Count;
        public int K;
        public int Tokens;
        public float* X;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        int part = job.Count - 1;
        while (job.Parts[part].Tasks.FirstTask > task)
            part--;
        var type = job.Parts[part].Type;
        var target = job.Parts[part].Tasks;
        long first = target.FirstRow(task);
        int count = target.RowCount(task);
        // Whole triples, then the task's last one or two rows one at a time (a row read as all three of a triple, its
        // sums going through lone).
        float* lone = stackalloc float[RowTripleTile.Rows * RowTripleTile.Tokens];
        int r = 0;
        for (; r + RowTripleTile.Rows <= count; r += RowTripleTile.Rows)
            Triple(job, type, target, first + r, RowTripleTile.Rows, lone);
        for (; r < count; r++)
            Triple(job, type, target, first + r, 1, lone);
    }

    /// <summary>Rows <paramref name="row"/>.. (3, or 1 read as a triple) against every token, in groups of 4; a last
    /// group short of 4 starts early and overlaps the one before, whose sums it recomputes to the same bits. The tile
    /// stores a triple's sums straight into y; a lone row's go through <paramref name="lone"/>, a scratch triple's
    /// results.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Triple(in Job job, GgmlType type, in TargetTasks target, long row, int rowCount, float* lone)
    {
        const int group = RowTripleTile.Tokens, triple = RowTripleTile.Rows;
        int k = job.K, tokens = job.Tokens;
        int steps = k / RowTripleTile.StepValues;
        int restFrom = steps * RowTripleTile.StepValues;
        byte* rows = target.Weights + row * target.WeightRowBytes;
        nint stride = rowCount == triple ? (nint)target.WeightRowBytes : 0;
        for (int g = 0; g < tokens; g += group)
        {
            int firstToken = Math.Min(g, tokens - group);
            float* x = job.X + (long)firstToken * k;
            float* y = target.Y + (long)firstToken * target.Rows + row;
            if (steps == 0)
            {
                for (int t = 0; t < group; t++)
                    new Span<float>(y + t * target.Rows, rowCount).Clear();
            }
            else if (rowCount == triple)
            {
                RowTripleTile.Tile(type, rows, stride, x, k, steps, y, (nint)target.Rows, prefetchNext: g == 0);
            }
            else
            {
                RowTripleTile.Tile(type, rows, stride, x, k, steps, lone, triple, prefetchNext: false);
                for (int t = 0; t < group; t++)
                    y[t * target.Rows] = lone[t * triple];
            }
            if (restFrom == k)
                continue;
            // The values past the last whole step of 8, added to each sum in order.
            for (int t = 0; t < group; t++)
            {
                for (int i = 0; i < rowCount; i++)
                {
                    byte* values = rows + i * stride;
                    float sum = y[t * target.Rows + i];
                    for (int j = restFrom; j < k; j++)
                        sum += RowTripleTile.Weight(type, values, j) * x[(long)t * k + j];
                    y[t * target.Rows + i] = sum;
                }
            }
        }
    }
}
