using Tessera.Models;
using Tessera.Runtime.Paging;
using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Runtime.Tests.Paging;

/// <summary>
/// Sequences of one F16 cache keeping their cells in Q8_0 (the load-shedding ladder's KV rung): such a sequence
/// computes exactly what a Q8_0 cache computes, in about half the pages, beside F16 sequences that compute exactly
/// what an F16 cache computes; Q8_0 sequences share prefixes among themselves only.
/// </summary>
public sealed class MixedPrecisionTests
{
    private const string ModelFile = "syn-llama-F16.gguf";   // heads 32 wide: one Q8_0 block
    private const int PageSize = 16;

    private static InferenceContext Context(TransformerModel model, GgmlType type, bool prefixCache = false) => new(model, new ContextOptions
    {
        ContextSize = 160, BatchSize = 64, SequenceCount = 3, Threads = 2, KvCacheType = type,
        Paging = new KvPaging { PageSize = PageSize, PrefixCache = prefixCache },
    });

    private static int[] Tokens(int seed, int count, int vocabulary)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocabulary)).ToArray();
    }

    [Fact]
    public void A_Q8_0_sequence_in_an_F16_cache_computes_what_a_Q8_0_cache_does_in_fewer_pages()
    {
        using var model = ModelLoader.Load(SharedData.Model(ModelFile));
        using var mixed = Context(model, GgmlType.F16);
        using var allHalf = Context(model, GgmlType.F16);
        using var allQ8 = Context(model, GgmlType.Q8_0);
        Assert.True(mixed.Cache.CanHold(GgmlType.Q8_0));
        Assert.False(mixed.Cache.CanHold(GgmlType.Q4_0));

        // Q8_0 pages of an F16 cache: 16 F16 cells of 4 heads x 32 values are 4,096 bytes, room for 30 Q8_0 cells.
        mixed.SetKvType(1, GgmlType.Q8_0);
        Assert.Equal(GgmlType.Q8_0, mixed.Cache.SequenceType(1));
        Assert.Equal(PageSize * 64 / 34, mixed.Cache.SequencePageSize(1));

        int[] prompt = Tokens(7, 90, model.VocabularySize);
        var half = mixed.CreateSession();    // sequence 0: F16
        var q8 = mixed.CreateSession();      // sequence 1: Q8_0
        Assert.Equal(1, q8.SequenceId);
        using var halfAlone = allHalf.CreateSession();
        using var q8Alone = allQ8.CreateSession();
        for (int step = 0; step < 8; step++)
        {
            int[] tokens = step == 0 ? prompt : [Logits.ArgMax(q8Alone.Logits)];
            // Each sequence runs in its own batch, so the kernels see the same shapes as in the single-type caches.
            half.Append(tokens);
            halfAlone.Append(tokens);
            q8.Append(tokens);
            q8Alone.Append(tokens);
            Assert.Equal(halfAlone.Logits.ToArray(), half.Logits.ToArray());
            Assert.Equal(q8Alone.Logits.ToArray(), q8.Logits.ToArray());
        }
        // 97 positions: 7 F16 pages of 16, 4 Q8_0 pages of 30.
        Assert.Equal(7, mixed.Cache.Pages(0).Length);
        Assert.Equal(4, mixed.Cache.Pages(1).Length);
        Assert.Equal(4 * 30, mixed.Cache.AllocatedCells(1));
        // The two kinds of cells differ, and so do the logits.
        Assert.NotEqual(half.Logits.ToArray(), q8.Logits.ToArray());

        // Back to F16: the sequence lets go of its Q8_0 pages and starts over.
        q8.Dispose();
        mixed.SetKvType(1, GgmlType.F16);
        Assert.Equal(0, mixed.Cache.Pages(1).Length);
        Assert.Equal(PageSize, mixed.Cache.SequencePageSize(1));
        half.Dispose();
        Assert.Equal(0, mixed.Cache.PagesUsed);
    }

    [Fact]
    public void Q8_0_sequences_reuse_each_others_prefixes_but_not_F16_ones()
    {
        using var model = ModelLoader.Load(SharedData.Model(ModelFile));
        using var context = Context(model, GgmlType.F16, prefixCache: true);
        int[] prompt = Tokens(11, 70, model.VocabularySize);
        int q8Page = context.Cache.Layer(0).PageCellsFor(GgmlType.Q8_0);

        using (var first = context.CreateSession())   // F16: publishes pages of 16 tokens
            first.Append(prompt);
        context.SetKvType(1, GgmlType.Q8_0);
        Assert.Equal(0, context.ReusePrefix(1, prompt));   // nothing cached in Q8_0 yet
        var batch = new TokenBatch(64);
        for (int i = 0; i < 64; i++)
            batch.Add(prompt[i], i, 1, wantsLogits: false);
        Assert.True(context.TryReserve(1, 0, 64));
        context.Forward(batch, []);
        context.Forget(1);                                 // its two full Q8_0 pages stay cached

        context.SetKvType(2, GgmlType.Q8_0);
        Assert.Equal(2 * q8Page, context.ReusePrefix(2, prompt));
        context.SetKvType(0, GgmlType.F16);
        Assert.Equal(4 * PageSize, context.ReusePrefix(0, prompt));
    }
}
