using Tessera.Kernels.Attention;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

public sealed unsafe class AttentionTests
{
    /// <summary>Naive float64 attention: for each token and head, softmax(q·k_j / sqrt(d)) over j ≤ position, then Σ p_j v_j.</summary>
    private static double[] Naive(float[] q, float[] keys, float[] values, int tokens, int heads, int kvHeads, int headDim, int firstPosition)
    {
        var output = new double[tokens * heads * headDim];
        for (int t = 0; t < tokens; t++)
        {
            int visible = firstPosition + t + 1;
            for (int h = 0; h < heads; h++)
            {
                int g = h / (heads / kvHeads);
                var scores = new double[visible];
                for (int j = 0; j < visible; j++)
                {
                    double s = 0;
                    for (int d = 0; d < headDim; d++)
                        s += (double)q[(t * heads + h) * headDim + d] * keys[(j * kvHeads + g) * headDim + d];
                    scores[j] = s / Math.Sqrt(headDim);
                }
                double max = scores.Max();
                double sum = scores.Sum(s => Math.Exp(s - max));
                for (int j = 0; j < visible; j++)
                {
                    double p = Math.Exp(scores[j] - max) / sum;
                    for (int d = 0; d < headDim; d++)
                        output[(t * heads + h) * headDim + d] += p * values[(j * kvHeads + g) * headDim + d];
                }
            }
        }
        return output;
    }

    [Theory]
    [InlineData(GgmlType.F32, 1, 0, 8, 2, 1, 64)]       // decode at position 0
    [InlineData(GgmlType.F16, 1, 200, 8, 2, 2, 64)]     // decode deep in the context: several position chunks
    [InlineData(GgmlType.F32, 7, 60, 4, 4, 2, 64)]      // prompt chunk after a prefix, no GQA
    [InlineData(GgmlType.F16, 9, 0, 6, 3, 3, 64)]       // prompt from scratch, GQA 2:1
    [InlineData(GgmlType.F16, 3, 130, 8, 1, 1, 64)]     // multi-query
    [InlineData(GgmlType.F16, 21, 100, 8, 2, 2, 64)]    // several token blocks, each seeing a different chunk boundary
    [InlineData(GgmlType.F32, 19, 5, 4, 1, 3, 256)]     // wide heads: shorter chunks, fewer tokens per task
    [InlineData(GgmlType.F16, 2, 70, 6, 2, 2, 40)]      // head width a multiple of 8 but not of 16
    [InlineData(GgmlType.F32, 5, 66, 4, 2, 2, 20)]      // head width not a multiple of the vector width: the library path
    [InlineData(GgmlType.Q8_0, 1, 150, 8, 2, 2, 64)]    // Q8_0 cells, decode over several chunks
    [InlineData(GgmlType.Q8_0, 13, 40, 4, 1, 3, 96)]    // Q8_0 cells, prompt chunk, three blocks per head
    [InlineData(GgmlType.F16, 37, 0, 16, 2, 2, 128)]    // prompt from scratch, 8 heads per KV head: the panel path
    [InlineData(GgmlType.F32, 40, 33, 8, 1, 2, 64)]     // 64 query rows per task after a prefix not on a chunk boundary
    [InlineData(GgmlType.F16, 40, 0, 8, 4, 2, 8)]       // stories260K's shape: heads narrower than a panel (padded values)
    [InlineData(GgmlType.F16, 24, 17, 4, 2, 1, 80)]     // head width not a multiple of the panel (AVX-512: 32)
    [InlineData(GgmlType.F32, 33, 3, 4, 1, 2, 20)]      // odd width, rows over several panels of positions
    [InlineData(GgmlType.F16, 20, 45, 4, 2, 2, 48)]     // a multiple of the AVX2 panel (16) but not of the AVX-512 one
    [InlineData(GgmlType.F16, 1, 1500, 32, 4, 2, 64)]   // TinyLlama's decode deep in the context: keys eight at a time, one left over
    [InlineData(GgmlType.F32, 1, 777, 8, 1, 2, 128)]    // decode, two 64-float blocks of values per head
    [InlineData(GgmlType.F16, 1, 300, 4, 2, 1, 104)]    // decode, values in blocks of 64, 32 and 8 floats
    public void Matches_naive_causal_softmax_attention(GgmlType cacheType, int tokens, int firstPosition, int heads, int kvHeads, int threads, int headDim)
    {
        var random = new TestRandom();
        var (q, keys, values, expected) = Case(random, cacheType, tokens, firstPosition, heads, kvHeads, headDim);

        byte[] keyBytes = Encode(keys, cacheType), valueBytes = Encode(values, cacheType);
        var output = new float[q.Length];
        using var pool = new KernelThreadPool(threads);
        fixed (byte* k = keyBytes)
        fixed (byte* v = valueBytes)
        {
            var cache = new KvCacheView(k, v, cacheType, kvHeads, headDim);
            ScaledDotProductAttention.Compute(q, tokens, heads, cache, firstPosition, output, pool);
        }
        for (int i = 0; i < output.Length; i++)
            Assert.True(Math.Abs(output[i] - expected[i]) <= Tolerances.Attention, $"element {i}: {output[i]} vs {expected[i]} ({random})");
    }

    [Theory]
    [InlineData(GgmlType.F16, 1, 200, 8, 2, 2, 64, 16)]    // decode across many pages
    [InlineData(GgmlType.F32, 21, 100, 8, 2, 2, 64, 32)]   // prompt chunk whose token blocks start mid-page
    [InlineData(GgmlType.F16, 9, 0, 6, 3, 1, 40, 5)]       // pages smaller than a position chunk, odd head width
    [InlineData(GgmlType.F32, 3, 61, 4, 1, 3, 128, 64)]    // pages as large as a chunk, not aligned with it
    [InlineData(GgmlType.Q8_0, 9, 70, 8, 2, 2, 64, 16)]    // Q8_0 cells in pages
    [InlineData(GgmlType.F16, 30, 21, 8, 4, 2, 8, 16)]     // 8-wide heads on the panel path across pages
    public void Paged_cells_match_naive_attention(GgmlType cacheType, int tokens, int firstPosition, int heads, int kvHeads, int threads, int headDim, int pageSize)
    {
        var random = new TestRandom();
        int positions = firstPosition + tokens;
        var (q, keys, values, expected) = Case(random, cacheType, tokens, firstPosition, heads, kvHeads, headDim);

        // The sequence's pages lie in random order among spare pages holding noise.
        int pages = (positions + pageSize - 1) / pageSize, poolPages = 2 * pages + 1, width = kvHeads * headDim;
        int[] table = random.Permutation(poolPages)[..pages];
        float[] pagedKeys = random.Floats(poolPages * pageSize * width), pagedValues = random.Floats(poolPages * pageSize * width);
        for (int p = 0; p < positions; p++)
        {
            long cell = (long)table[p / pageSize] * pageSize + p % pageSize;
            Array.Copy(keys, p * width, pagedKeys, cell * width, width);
            Array.Copy(values, p * width, pagedValues, cell * width, width);
        }
        byte[] keyBytes = Encode(pagedKeys, cacheType), valueBytes = Encode(pagedValues, cacheType);
        var output = new float[q.Length];
        using var pool = new KernelThreadPool(threads);
        fixed (byte* k = keyBytes)
        fixed (byte* v = valueBytes)
        fixed (int* t = table)
        {
            var cache = new KvCacheView(k, v, cacheType, kvHeads, headDim, t, pageSize);
            ScaledDotProductAttention.Compute(q, tokens, heads, cache, firstPosition, output, pool);
        }
        for (int i = 0; i < output.Length; i++)
            Assert.True(Math.Abs(output[i] - expected[i]) <= Tolerances.Attention, $"element {i}: {output[i]} vs {expected[i]} ({random})");
    }

    /// <summary>Fresh queries, keys and values (keys and values as the cache holds them: halves for F16, Q8_0 blocks
    /// dequantized for Q8_0) and the naive result.</summary>
    private static (float[] Q, float[] Keys, float[] Values, double[] Expected) Case(TestRandom random, GgmlType cacheType, int tokens,
        int firstPosition, int heads, int kvHeads, int headDim)
    {
        int positions = firstPosition + tokens;
        var q = random.Floats(tokens * heads * headDim);
        var keys = random.Floats(positions * kvHeads * headDim);
        var values = random.Floats(positions * kvHeads * headDim);
        if (cacheType == GgmlType.F16)
        {
            keys = keys.Select(v => (float)(Half)v).ToArray();
            values = values.Select(v => (float)(Half)v).ToArray();
        }
        else if (cacheType == GgmlType.Q8_0)
        {
            keys = RoundTripQ8_0(keys);
            values = RoundTripQ8_0(values);
        }
        return (q, keys, values, Naive(q, keys, values, tokens, heads, kvHeads, headDim, firstPosition));
    }

    private static float[] RoundTripQ8_0(float[] values)
    {
        var decoded = new float[values.Length];
        Tensors.Quants.Q8_0.Dequantize(Encode(values, GgmlType.Q8_0), decoded);
        return decoded;
    }

    private static byte[] Encode(float[] values, GgmlType type)
    {
        if (type == GgmlType.Q8_0)
        {
            // Head rows are whole blocks, so blocks over the flat array never straddle two heads.
            var blocks = new byte[values.Length / 32 * 34];
            Tensors.Quants.Q8_0.Quantize(values, blocks);
            return blocks;
        }
        if (type == GgmlType.F32)
            return System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var halves = values.Select(v => (Half)v).ToArray();
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()).ToArray();
    }

    [Fact]
    public void Rejects_head_counts_that_do_not_group()
    {
        using var pool = new KernelThreadPool(1);
        var cache = new float[4 * 3 * 8];
        fixed (float* c = cache)
        {
            var view = new KvCacheView(c, c, GgmlType.F32, 3, 8);
            Assert.Throws<ArgumentException>(() => ScaledDotProductAttention.Compute(new float[4 * 8], 1, 4, view, 0, new float[32], pool));
        }
        Assert.Throws<ArgumentException>(() => new KvCacheView((void*)1, (void*)1, GgmlType.Q8_0, 1, 8));
    }
}
