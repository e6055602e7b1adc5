using System.Runtime.CompilerServices;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels;

/// <summary>
/// Matrix-matrix product for float weights (F32, F16, BF16) over enough tokens that packing pays (prompt processing):
/// Y[tokens, rows] = X[tokens, k] · W[rows, k]^T. The activations are packed once into token panels ([k][panel
/// width], zero-padded), and each task converts its weight rows to F32 once, so F16/BF16 conversion costs one pass
/// per matmul instead of one per few tokens. Then 8 rows meet a panel at a time in <see cref="FloatPanelKernel"/>;
/// panels are visited in tiles small enough to stay in L2 while every row group of the task passes over them.
/// Several matrices over the same input (a layer's q/k/v, or gate and up) share one pass (<see cref="ComputeShared"/>).
/// <para>BF16 weights on a CPU with AVX512-BF16 take <see cref="BF16PairTile"/> instead: the panels hold the tokens
/// rounded to BF16 pairs and the rows are read in place, unconverted. F16 and BF16 weights on a CPU without AVX-512
/// take <see cref="F16cRowPanelTile"/> or <see cref="BF16RowPanelTile"/>: the rows are packed as they are into row
/// panels (<see cref="RowPanel"/>) and the tokens read in place (<see cref="ComputeRowPanels"/>). Small batches (BF16
/// up to 16 tokens, whose 32-token panels would be mostly padding, F16 up to <see cref="RowPairMatMul.MaxF16Tokens"/>)
/// go to <see cref="RowPairMatMul"/> first where it runs, and on CPUs without AVX-512 F16 and BF16 batches of up to
/// <see cref="RowTripleMatMul.MaxF16Tokens"/> and <see cref="RowTripleMatMul.MaxBF16Tokens"/> tokens to
/// <see cref="RowTripleMatMul"/>, which packs nothing.</para>
/// </summary>
internal static unsafe class FloatMatMul
{
    /// <summary>Fewest tokens this path takes: below it (a few decode steps in one batch) the weights are read about
    /// once anyway and converting them to F32 first costs more than it saves: at 2-4 tokens the 4x4 tile, which
    /// converts in registers, measured twice as fast (F16 5632 x 2048: 2.2-2.6 against 4.7-6.2 ms). The two sum in
    /// different orders, so a token's float result can differ in the last bits between a call of few tokens and
    /// one of many (as batched and single embeddings do).</summary>
    public const int MinTokens = 8;

    /// <summary>Bytes of token panels one tile holds (at least one panel), so they stay in L2 while the task's row groups
    /// pass over them. With <see cref="ConvertedRowBytes"/> this is half of a 512 KiB L2 each: a whole L2 each (the
    /// first choice) left the rows and panels to evict each other, and F16 matmuls on a Zen 3 ran 0-7% slower (three
    /// shapes, 512 tokens, better in 15 of 18 interleaved comparisons with the halves, level in 1).</summary>
    private const int TileBytes = 256 * 1024;

    /// <summary>Most bytes of converted weight rows a task holds (see <see cref="TileBytes"/>).</summary>
    private const int ConvertedRowBytes = 256 * 1024;

    /// <summary>Tasks per thread, so a thread slowed by other load is balanced by the others.</summary>
    private const int TasksPerThread = 4;

    /// <summary>Whether a product of <paramref name="tokens"/> tokens with weights of <paramref name="kernel"/>'s type
    /// takes this path: a float type, enough tokens, AVX2.</summary>
    public static bool Applies(in QuantKernel kernel, int tokens) =>
        tokens >= (kernel.WeightType == GgmlType.BF16 && !BF16PairTile.IsSupported ? ConvertedBF16MinTokens : MinTokens) && HasPanels(kernel);

    /// <summary>Whether this path can run <paramref name="kernel"/>'s type at all (a float type, AVX2), whatever the
    /// tokens: <see cref="Applies"/> adds the speed threshold.</summary>
    private static bool HasPanels(in QuantKernel kernel) => FloatPanelKernel.IsSupported && kernel.RowsToSingle != null;

    /// <summary>Fewest tokens for BF16 where its rows are converted to F32 panels (no AVX512-BF16): its 4 x 4 tile
    /// converts with one shift and measured as fast or faster up to 32 tokens on AVX2 (pp8 31-32 -> 67-69 t/s, pp16
    /// 61-63 -> 75-82; pp64 95 against 90 for the panels).</summary>
    public const int ConvertedBF16MinTokens = 32;

    /// <summary>Whether a matrix of <paramref name="kernel"/>'s type with rows of <paramref name="k"/> takes
    /// <see cref="BF16PairTile"/>: BF16, the tile runs here, and k even (a pair never straddles two rows).</summary>
    public static bool TakesPairTile(in QuantKernel kernel, int k) =>
        kernel.WeightType == GgmlType.BF16 && k % 2 == 0 && BF16PairTile.IsSupported;

    /// <summary>Whether a matrix of <paramref name="kernel"/>'s type takes row panels (<see cref="ComputeRowPanels"/>):
    /// F16 or BF16 on a CPU without AVX-512 (whose 8 x 32 float tile keeps the token panels), where the type's tile
    /// runs.</summary>
    public static bool TakesRowPanels(in QuantKernel kernel) => !IsaSupport.Avx512 && kernel.WeightType switch
    {
        GgmlType.F16 => F16cRowPanelTile.IsSupported,
        GgmlType.BF16 => BF16RowPanelTile.IsSupported,
        _ => false,
    };

    /// <summary>Whether two matrices over one input can share a pass: both take BF16 pair panels, both row panels
    /// (F16 or BF16), or both float token panels.</summary>
    public static bool SharesPanels(in QuantKernel first, in QuantKernel other, int k) =>
        TakesPairTile(first, k) == TakesPairTile(other, k) && TakesRowPanels(first) == TakesRowPanels(other);

    /// <summary>Most matrices one shared pass takes (q/k/v, gate/up).</summary>
    public const int MaxSharedTargets = 4;

    /// <param name="kernel">the weight type's kernel (<see cref="Applies"/>)</param>
    /// <param name="weights">[rows, k] in the kernel's weight type</param>
    /// <param name="x">[tokens, k]</param>
    /// <param name="y">[tokens, rows]</param>
    public static void Compute(in QuantKernel kernel, byte* weights, long rows, int k, float* x, int tokens, float* y, KernelThreadPool pool) =>
        ComputeShared([new PanelTarget(kernel, weights, rows, y)], k, x, tokens, pool);

    /// <summary>Each target's Y[tokens, rows] = X[tokens, k] · W[rows, k]^T in one pass over the pool: the token panels
    /// are packed once and the threads synchronise once.</summary>
    /// <param name="targets">1..<see cref="MaxSharedTargets"/> float matrices (<see cref="Applies"/>) that share panels
    /// (<see cref="SharesPanels"/>)</param>
    public static void ComputeShared(ReadOnlySpan<PanelTarget> targets, int k, float* x, int tokens, KernelThreadPool pool)
    {
        if (targets.Length is < 1 or > MaxSharedTargets)
            throw new ArgumentOutOfRangeException(nameof(targets), targets.Length, $"1..{MaxSharedTargets} matrices");
        for (int i = 0; i < targets.Length; i++)
        {
            // The token threshold is the caller's speed choice (Applies); any count runs correctly.
            if (!HasPanels(targets[i].Kernel))
                throw new ArgumentException($"matrix {i} ({targets[i].Kernel.WeightType}) does not take the float panel", nameof(targets));
            if (!SharesPanels(targets[0].Kernel, targets[i].Kernel, k))
                throw new ArgumentException($"matrix {i} ({targets[i].Kernel.WeightType}) cannot share the panels of matrix 0 ({targets[0].Kernel.WeightType})", nameof(targets));
        }
        if (TakesRowPanels(targets[0].Kernel) && tokens >= RowPanel.Tokens)
        {
            ComputeRowPanels(targets, k, x, tokens, pool);
            return;
        }
        bool pairs = TakesPairTile(targets[0].Kernel, k);
        // Wide panels first, then at most two narrow ones, so the last panel pads few tokens.
        var (widePanels, narrowPanels) = pairs ? ((tokens + BF16PairTile.Width - 1) / BF16PairTile.Width, 0) : FloatPanelKernel.PanelsFor(tokens);
        int wideWidth = pairs ? BF16PairTile.Width : FloatPanelKernel.WideWidth;
        int panels = widePanels + narrowPanels;
        long tokenFloats = pairs ? k / 2 : k;   // a panel's floats per token (a BF16 pair takes a float's four bytes)
        long paddedTokens = (long)widePanels * wideWidth + (long)narrowPanels * FloatPanelKernel.NarrowWidth;
        var job = new Job { Count = targets.Length, Pairs = pairs };
        long largestTask = FloatPanelKernel.Rows;
        int tasks = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var target = targets[i];
            long rowsPerTask = RowsPerTask(target.Rows, FloatPanelKernel.Rows, (long)k * sizeof(float), pool.ThreadCount);
            job.Parts[i] = new Part
            {
                Convert = target.Kernel.WeightType == GgmlType.F32 || pairs ? null : target.Kernel.RowsToSingle,
                Tasks = new TargetTasks(target.Weights, target.Kernel.WeightRowBytes(k), target.Rows, target.Y, rowsPerTask, tasks),
            };
            largestTask = Math.Max(largestTask, rowsPerTask);
            tasks += job.Parts[i].Tasks.Count;
        }
        // Per thread: the task's converted rows (or, read in place, its zero-padded last row group) and one result tile.
        long threadFloats = Aligned(largestTask * k) + FloatPanelKernel.Rows * wideWidth;
        float* scratch = (float*)pool.Scratch.Get((nuint)((Aligned(paddedTokens * tokenFloats) + pool.ThreadCount * threadFloats) * sizeof(float)));
        job.K = k;
        job.Tokens = tokens;
        job.X = x;
        job.WideWidth = wideWidth;
        job.WidePanels = widePanels;
        job.Panels = scratch;
        job.TokenFloats = tokenFloats;
        job.PanelCount = panels;
        job.PanelsPerTile = (int)Math.Max(1, TileBytes / (wideWidth * tokenFloats * sizeof(float)));
        job.ThreadScratch = scratch + Aligned(paddedTokens * tokenFloats);
        job.ThreadFloats = threadFloats;
        job.ResultsOffset = Aligned(largestTask * k);
        pool.Run(panels, &PackTask, &job);
        pool.Run(tasks, &MultiplyTask, &job);
    }

    /// <summary>
    /// <see cref="ComputeShared"/> for F16 and BF16 weights on AVX2 (<see cref="TakesRowPanels"/>): each task packs its
    /// rows into row panels once (<see cref="RowPanel.Pack"/>, in the order its type's tile widens them), then meets
    /// groups of 6 tokens read in place from x in <see cref="F16cRowPanelTile"/> or <see cref="BF16RowPanelTile"/>, no
    /// token panels packed. Token groups are visited in tiles small enough to stay in L2 while every row panel of
    /// the task passes over them; a last group short of 6 tokens starts early and overlaps the one before, whose sums
    /// it recomputes to the same bits.
    /// </summary>
    private static void ComputeRowPanels(ReadOnlySpan<PanelTarget> targets, int k, float* x, int tokens, KernelThreadPool pool)
    {
        const int group = RowPanel.Rows;
        var job = new Job { Count = targets.Length, K = k, Tokens = tokens, X = x };
        long largestTask = group;
        int tasks = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var target = targets[i];
            long rowsPerTask = RowsPerTask(target.Rows, group, (long)k * sizeof(ushort), pool.ThreadCount);
            bool f16 = target.Kernel.WeightType == GgmlType.F16;
            job.Parts[i] = new Part
            {
                RowPanelTile = f16 ? &F16cRowPanelTile.Tile : &BF16RowPanelTile.Tile,
                Paired = f16 ? F16cRowPanelTile.PairedSlots : BF16RowPanelTile.PairedSlots,
                Tasks = new TargetTasks(target.Weights, target.Kernel.WeightRowBytes(k), target.Rows, target.Y, rowsPerTask, tasks),
            };
            largestTask = Math.Max(largestTask, rowsPerTask);
            tasks += job.Parts[i].Tasks.Count;
        }
        // Per thread: the task's row panels (two halves a float) and the results of a panel short of 16 rows.
        job.ResultsOffset = Aligned(largestTask * k / 2);
        job.ThreadFloats = job.ResultsOffset + group * RowPanel.Tokens;
        job.ThreadScratch = (float*)pool.Scratch.Get((nuint)(pool.ThreadCount * job.ThreadFloats * sizeof(float)));
        job.PanelsPerTile = (int)Math.Max(1, TileBytes / ((long)RowPanel.Tokens * k * sizeof(float)));
        pool.Run(tasks, &RowPanelTask, &job);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPanelTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        const int group = RowPanel.Rows, width = RowPanel.Tokens;
        int k = job.K, tokens = job.Tokens;
        int part = job.Count - 1;
        while (job.Parts[part].Tasks.FirstTask > task)
            part--;
        var target = job.Parts[part].Tasks;
        var tile = job.Parts[part].RowPanelTile;
        bool paired = job.Parts[part].Paired;
        long first = target.FirstRow(task);
        int count = target.RowCount(task);
        int panels = (count + group - 1) / group;
        ushort* packed = (ushort*)(job.ThreadScratch + threadIndex * job.ThreadFloats);
        float* spare = job.ThreadScratch + threadIndex * job.ThreadFloats + job.ResultsOffset;
        long panelHalves = (long)k * group;
        byte* source = target.Weights + first * target.WeightRowBytes;
        for (int p = 0; p < panels; p++)
            RowPanel.Pack(source + p * group * target.WeightRowBytes, (nint)target.WeightRowBytes, Math.Min(group, count - p * group), k, packed + p * panelHalves, paired);
        int tokenGroups = (tokens + width - 1) / width;
        for (int tileStart = 0; tileStart < tokenGroups; tileStart += job.PanelsPerTile)
        {
            int tileEnd = Math.Min(tokenGroups, tileStart + job.PanelsPerTile);
            for (int p = 0; p < panels; p++)
            {
                int validRows = Math.Min(group, count - p * group);
                for (int g = tileStart; g < tileEnd; g++)
                {
                    int firstToken = Math.Min(g * width, tokens - width);
                    float* y = target.Y + firstToken * target.Rows + first + p * group;
                    if (validRows == group)
                    {
                        tile(packed + p * panelHalves, k, job.X + (long)firstToken * k, k, y, (nint)target.Rows);
                        continue;
                    }
                    tile(packed + p * panelHalves, k, job.X + (long)firstToken * k, k, spare, group);
                    for (int t = 0; t < width; t++)
                        new ReadOnlySpan<float>(spare + t * group, validRows).CopyTo(new Span<float>(y + t * target.Rows, validRows));
                }
            }
        }
    }

    /// <summary>A multiple of the row <paramref name="group"/>, enough tasks to balance the threads, converted rows
    /// (<paramref name="convertedRowBytes"/> each) within L2.</summary>
    private static long RowsPerTask(long rows, int group, long convertedRowBytes, int threads)
    {
        long balanced = (rows + (long)threads * TasksPerThread - 1) / ((long)threads * TasksPerThread);
        long cached = ConvertedRowBytes / convertedRowBytes;
        long perTask = Math.Min(balanced, cached);
        return Math.Max(group, (perTask + group - 1) / group * group);
    }

    /// <summary>Rounds a float count up to whole cache lines.</summary>
    private static long Aligned(long floats) => (floats + 15) & ~15L;

    private struct Part
    {
        public delegate*<byte*, float*, int, void> Convert;   // null: rows are used in place (F32, or BF16 pairs)
        public delegate*<ushort*, int, float*, nint, float*, nint, void> RowPanelTile;   // row panels only
        public bool Paired;                                                              // row panels: RowPanel.Pack's order
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
        public bool Pairs;             // BF16 pair panels and BF16PairTile (else float panels and FloatPanelKernel)
        public int K;
        public int Tokens;
        public float* X;
        public int WideWidth;          // the first WidePanels panels' width; the rest are FloatPanelKernel.NarrowWidth wide
        public int WidePanels;
        public float* Panels;          // per panel [k][width], or [k / 2][width] BF16 pairs, one after another
        public long TokenFloats;       // a panel's floats per token: k, or k / 2 for BF16 pairs
        public int PanelCount;
        public int PanelsPerTile;      // token panels per tile (row panels: groups of 6 tokens per tile)
        public float* ThreadScratch;   // [thread][threadFloats]: converted rows (or row panels), then one result tile
        public long ThreadFloats;
        public long ResultsOffset;

        public readonly int PanelWidth(int p) => p < WidePanels ? WideWidth : FloatPanelKernel.NarrowWidth;

        public readonly int FirstToken(int p) => p < WidePanels ? p * WideWidth : WidePanels * WideWidth + (p - WidePanels) * FloatPanelKernel.NarrowWidth;

        public readonly float* Panel(int p) => Panels + FirstToken(p) * TokenFloats;
    }

    /// <summary>Token panel p: x's tokens from the panel's first on, transposed to [k][width], tokens past the end as
    /// zeros. Full groups of 8 tokens go through 8 x 8 register transposes (one element at a time, this was 2% of an
    /// F16 prompt pass); BF16 pair panels are packed by <see cref="BF16PairPanel"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTask(void* state, int p, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        int width = job.PanelWidth(p), k = job.K, first = job.FirstToken(p);
        float* panel = job.Panel(p);
        if (job.Pairs)
        {
            BF16PairPanel.Pack(job.X, k, job.Tokens, first, (uint*)panel);
            return;
        }
        int t = 0;
        for (; t + 8 <= width && first + t + 8 <= job.Tokens; t += 8)
        {
            float* source = job.X + (long)(first + t) * k;
            int i = 0;
            for (; i + 8 <= k; i += 8)
                RegisterTranspose.Transpose8(source + i, k, panel + (long)i * width + t, width);
            for (; i < k; i++)
            {
                for (int u = 0; u < 8; u++)
                    panel[(long)i * width + t + u] = source[(long)u * k + i];
            }
        }
        for (; t < width; t++)
        {
            int token = first + t;
            if (token < job.Tokens)
            {
                float* source = job.X + (long)token * k;
                for (int i = 0; i < k; i++)
                    panel[(long)i * width + t] = source[i];
            }
            else
            {
                for (int i = 0; i < k; i++)
                    panel[(long)i * width + t] = 0;
            }
        }
    }

    /// <summary>
    /// The tile's [8 rows][width tokens] results to y's [token][row] layout, 8 tokens at a time: an 8 x 8 transpose in
    /// registers and one 8-float store per token, where element-by-element copying cost as much as the products on
    /// small models (stories260K's k = 64). Returns how many tokens it stored; the caller copies the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StoreTransposed(float* results, int width, int tokens, float* y, nint yStride)
    {
        int t = 0;
        for (; t + 8 <= tokens; t += 8)
            RegisterTranspose.Transpose8(results + t, width, y + t * yStride, yStride);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTask(void* state, int task, int threadIndex)
    {
        ref Job job = ref *(Job*)state;
        const int group = FloatPanelKernel.Rows;
        int k = job.K;
        int part = job.Count - 1;
        while (job.Parts[part].Tasks.FirstTask > task)
            part--;
        var convert = job.Parts[part].Convert;
        var target = job.Parts[part].Tasks;
        long first = target.FirstRow(task);
        int count = target.RowCount(task);
        int groups = (count + group - 1) / group;
        float* local = job.ThreadScratch + threadIndex * job.ThreadFloats;
        float* results = local + job.ResultsOffset;
        byte* source = target.Weights + first * target.WeightRowBytes;
        byte* rows;
        long rowBytes;
        if (convert != null)
        {
            // F16/BF16: every row of the task once to F32; the missing rows of a last partial group as zeros.
            for (int r = 0; r < count; r++)
                convert(source + r * target.WeightRowBytes, local + (long)r * k, k);
            new Span<float>(local + (long)count * k, (groups * group - count) * k).Clear();
            rows = (byte*)local;
            rowBytes = (long)k * sizeof(float);
        }
        else
        {
            rows = source;
            rowBytes = target.WeightRowBytes;
        }
        int partial = count % group;
        byte* lastGroup = rows + (groups - 1) * group * rowBytes;
        if (convert == null && partial != 0)
        {
            // Rows read in place, except a last partial group, copied with zero rows after it.
            var padded = new Span<byte>(local, (int)(group * rowBytes));
            new ReadOnlySpan<byte>(lastGroup, (int)(partial * rowBytes)).CopyTo(padded);
            padded[(int)(partial * rowBytes)..].Clear();
            lastGroup = (byte*)local;
        }
        for (int tile = 0; tile < job.PanelCount; tile += job.PanelsPerTile)
        {
            int tileEnd = Math.Min(job.PanelCount, tile + job.PanelsPerTile);
            for (int g = 0; g < groups; g++)
            {
                byte* w = g == groups - 1 ? lastGroup : rows + g * group * rowBytes;
                int validRows = Math.Min(group, count - g * group);
                for (int p = tile; p < tileEnd; p++)
                {
                    float* panel = job.Panel(p);
                    int width = job.PanelWidth(p);
                    if (job.Pairs)
                        BF16PairTile.Tile((ushort*)w, (nint)rowBytes, (uint*)panel, k / 2, results);
                    else
                        FloatPanelKernel.Tile((float*)w, k, panel, k, results, width);
                    int firstToken = job.FirstToken(p);
                    int validTokens = Math.Min(width, job.Tokens - firstToken);
                    float* y = target.Y + (long)firstToken * target.Rows + first + g * group;
                    int t = validRows == group ? StoreTransposed(results, width, validTokens, y, (nint)target.Rows) : 0;
                    for (int r = 0; r < validRows; r++)
                    {
                        for (int u = t; u < validTokens; u++)
                            y[u * target.Rows + r] = results[r * width + u];
                    }
                }
            }
        }
    }
}
