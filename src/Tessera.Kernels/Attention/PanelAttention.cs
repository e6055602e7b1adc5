using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants;

namespace Tessera.Kernels.Attention;

/// <summary>
/// A prompt task of <see cref="ScaledDotProductAttention"/> (many query rows on one KV head) as two small matrix
/// products per chunk of positions on the float matmul's register tile (<see cref="FloatPanelKernel"/>), instead of
/// one dot and one weighted sum per (query row, position):
/// <list type="number">
/// <item>scores[rows, chunk] = (scale · Q)[rows, headDim] · K^T: the chunk's keys are stored transposed, [headDim][chunk],
///   which is the tile's panel layout, and 8 query rows at a time broadcast against them;</item>
/// <item>the online softmax per row (running max, rescale, exp, denominator), as the row-by-row path does;</item>
/// <item>acc[rows, headDim] += weights[rows, chunk] · V: the values stored as panels of the tile's width,
///   [ceil(headDim / width)][chunk][width], the last panel's columns past headDim zero.</item>
/// </list>
/// A chunk is one panel wide (32 positions with AVX-512, 16 with AVX2). Per-row work (horizontal sums, broadcasts of
/// each score) no longer scales with rows x positions x headDim. Heads narrower than a panel (stories260K's 8) or not a
/// multiple of it (80, 96 with AVX-512) pad the values' last panel: the wasted columns cost less than the row-by-row
/// path's horizontal sum per (row, position). Decode tasks (a few rows) keep the row-by-row path: converting and
/// transposing a chunk would cost more than their products.
/// </summary>
internal static unsafe class PanelAttention
{
    /// <summary>Fewest query rows (tokens x heads) for which a task takes this path.</summary>
    public const int MinRows = 16;

    public static bool Applies(int rows, int headDim) =>
        rows >= MinRows && FloatPanelKernel.IsSupported;

    /// <param name="queries">[tokens, headCount, headDim] of the whole call</param>
    /// <param name="output">same layout</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* queries, float* output, int headCount, in KvCacheView cache, int firstPosition, float scale,
        int firstToken, int tokens, int firstHead, int heads)
    {
        const int group = FloatPanelKernel.Rows;
        int headDim = cache.HeadDim;
        int width = FloatPanelKernel.Width;
        int rows = tokens * heads;                                       // r = t * heads + h
        int paddedRows = (rows + group - 1) / group * group;
        int kvHead = firstHead / (headCount / cache.KvHeadCount);
        int valuePanels = ValuePanels(headDim, width);

        float* q = stackalloc float[paddedRows * headDim];               // scale · queries, zero rows after the last
        float* acc = stackalloc float[paddedRows * headDim];             // running Σ weight · v
        float* maxima = stackalloc float[paddedRows];
        float* denominators = stackalloc float[paddedRows];
        float* keys = stackalloc float[headDim * width];                 // [headDim][width]
        float* values = stackalloc float[valuePanels * width * width];   // [panel][position][width]
        float* scores = stackalloc float[paddedRows * width];            // [row][position]: scores, then weights
        float* products = stackalloc float[group * width];
        float* keyRows = stackalloc float[width * headDim];              // [position][headDim], converted cells
        float* valueRows = stackalloc float[width * headDim];
        new Span<float>(q + rows * headDim, (paddedRows - rows) * headDim).Clear();
        new Span<float>(acc, paddedRows * headDim).Clear();
        new Span<float>(maxima, paddedRows).Fill(float.NegativeInfinity);
        new Span<float>(denominators, paddedRows).Clear();
        for (int t = 0; t < tokens; t++)
        {
            float* source = queries + ((long)(firstToken + t) * headCount + firstHead) * headDim;
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(source, heads * headDim), scale, new Span<float>(q + t * heads * headDim, heads * headDim));
        }

        int lastVisible = firstPosition + firstToken + tokens;          // exclusive, for the task's last token
        for (int start = 0; start < lastVisible; start += width)
        {
            int count = Math.Min(width, lastVisible - start);
            LoadChunk(cache, start, count, kvHead, width, keyRows, valueRows, keys, values);
            for (int g = 0; g < paddedRows; g += group)
                FloatPanelKernel.Tile(q + g * headDim, headDim, keys, headDim, scores + g * width);
            for (int r = 0; r < rows; r++)
            {
                float* s = scores + r * width;
                int visible = Math.Min(count, firstPosition + firstToken + r / heads + 1 - start);
                if (visible <= 0)
                {
                    new Span<float>(s, width).Clear();
                    continue;
                }
                ScaledDotProductAttention.SoftmaxUpdate(new Span<float>(s, visible), new Span<float>(acc + r * headDim, headDim),
                    ref maxima[r], ref denominators[r]);
                new Span<float>(s + visible, width - visible).Clear();   // later positions and the chunk's padding
            }
            for (int g = 0; g < paddedRows; g += group)
            {
                for (int p = 0; p < valuePanels; p++)
                {
                    FloatPanelKernel.Tile(scores + g * width, width, values + p * width * width, width, products);
                    int columns = Math.Min(width, headDim - p * width);
                    for (int r = 0; r < group; r++)
                    {
                        var row = new Span<float>(acc + (g + r) * headDim + p * width, columns);
                        TensorPrimitives.Add(row, new ReadOnlySpan<float>(products + r * width, columns), row);
                    }
                }
            }
        }
        for (int t = 0; t < tokens; t++)
        {
            for (int h = 0; h < heads; h++)
            {
                int r = t * heads + h;
                var destination = new Span<float>(output + ((long)(firstToken + t) * headCount + firstHead + h) * headDim, headDim);
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(acc + r * headDim, headDim), 1f / denominators[r], destination);
            }
        }
    }

    /// <summary>Value panels of a head: headDim / width rounded up.</summary>
    private static int ValuePanels(int headDim, int width) => (headDim + width - 1) / width;

    /// <summary>Positions start..start+count-1 of one KV head: keys transposed to [headDim][width], values to
    /// [value panels][width positions][width]; positions count..width-1 and columns past headDim as zeros. The cells are converted to F32
    /// rows first (<paramref name="keyRows"/>, <paramref name="valueRows"/>: [width][headDim]) as the row-by-row path does.</summary>
    private static void LoadChunk(in KvCacheView cache, int start, int count, int kvHead, int width, float* keyRows, float* valueRows,
        float* keys, float* values)
    {
        int headDim = cache.HeadDim;
        int valuePanels = ValuePanels(headDim, width);
        ScaledDotProductAttention.Convert(cache, start, count, kvHead, keyRows, valueRows);
        new Span<float>(keyRows + count * headDim, (width - count) * headDim).Clear();
        new Span<float>(valueRows + count * headDim, (width - count) * headDim).Clear();
        for (int j = 0; j < width; j++)
        {
            float* key = keyRows + j * headDim;
            for (int d = 0; d < headDim; d++)
                keys[d * width + j] = key[d];
            for (int p = 0; p < valuePanels; p++)
            {
                int columns = Math.Min(width, headDim - p * width);
                var panelRow = new Span<float>(values + (p * width + j) * width, width);
                new ReadOnlySpan<float>(valueRows + j * headDim + p * width, columns).CopyTo(panelRow);
                panelRow[columns..].Clear();
            }
        }
    }
}
