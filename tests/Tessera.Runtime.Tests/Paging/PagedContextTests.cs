using Tessera.Models;
using Tessera.Runtime.Paging;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Runtime.Tests.Paging;

/// <summary>
/// A paged KV cache gives the same logits and greedy text as one contiguous region per sequence, for every model in
/// the shared data: sequences cross page boundaries, take pages another sequence freed, and interleave with a
/// neighbour so their pages are not in order.
/// </summary>
public sealed class PagedContextTests(ITestOutputHelper output)
{
    private const int ContextSize = 160;

    /// <summary>Same kernels on the same batches: only the addresses of the cells differ.</summary>
    private const float SameLogits = 1e-4f;

    public static TheoryData<string> Models() => [.. Directory.GetFiles(SharedData.Models, "*.gguf").Select(path => Path.GetFileName(path)).Order()];

    [Theory]
    [MemberData(nameof(Models))]
    public void Paged_attention_matches_contiguous_attention(string file)
    {
        using var model = ModelLoader.Load(SharedData.Model(file));
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        int[] RandomTokens(int count) => Enumerable.Range(0, count).Select(_ => random.Next(model.VocabularySize)).ToArray();

        using var contiguous = new InferenceContext(model, new ContextOptions { ContextSize = ContextSize, BatchSize = 64, Threads = 2 });
        using var paged = new InferenceContext(model, new ContextOptions
        {
            ContextSize = ContextSize, BatchSize = 64, SequenceCount = 3, Threads = 2,
            Paging = new KvPaging { PageSize = 16 },
        });
        Assert.Equal(16, paged.Cache.PageSize);

        // A neighbour takes the first pages and gives them back; another keeps growing beside the sequence under test.
        var leaving = paged.CreateSession();
        leaving.Append(RandomTokens(37));
        using var neighbour = paged.CreateSession();
        neighbour.Append(RandomTokens(20));
        leaving.Dispose();

        using var expected = contiguous.CreateSession();
        using var actual = paged.CreateSession();
        int[] prompt = RandomTokens(45);
        expected.Append(prompt);
        actual.Append(prompt);
        var tokens = new List<int>();
        for (int step = 0; step < 40; step++)
        {
            AssertClose(expected.Logits, actual.Logits, $"{file} step {step} (seed {seed})");
            int next = Logits.ArgMax(expected.Logits);
            Assert.Equal(next, Logits.ArgMax(actual.Logits));
            tokens.Add(next);
            expected.Append(next);
            actual.Append(next);
            neighbour.Append(random.Next(model.VocabularySize));
        }
        // 85 positions in pages of 16: the sequence's six pages are not contiguous (the neighbour grew between them).
        var pages = paged.Cache.Pages(actual.SequenceId).ToArray();
        Assert.Equal(6, pages.Length);
        Assert.Contains(pages.Zip(pages.Skip(1)), pair => pair.Second != pair.First + 1);
        Assert.Equal(40, tokens.Count);
    }

    [Fact]
    public void Rewinding_into_a_cached_page_copies_it_and_the_cache_keeps_the_original()
    {
        using var model = ModelLoader.Load(SharedData.Model("stories260K.gguf"));
        var tokenizer = Tokenizers.Tokenizer.FromGguf(model.File.Metadata);
        int[] story = tokenizer.Encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog.");
        int[] other = tokenizer.Encode(" The sun was hot and the birds sang.", addSpecial: false);
        Assert.True(story.Length >= 26, $"the story has {story.Length} tokens");

        using var contiguous = new InferenceContext(model, new ContextOptions { ContextSize = 128, BatchSize = 64, Threads = 2 });
        using var paged = new InferenceContext(model, new ContextOptions
        {
            ContextSize = 128, BatchSize = 64, SequenceCount = 2, Threads = 2,
            Paging = new KvPaging { PageSize = 8, PrefixCache = true },
        });
        using var expected = contiguous.CreateSession();
        using var actual = paged.CreateSession();
        expected.Append(story);
        actual.Append(story);
        int full = story.Length / 8;
        Assert.Equal(full, paged.Cache.PrefixCachedPages);
        int cachedPage = paged.Cache.Pages(actual.SequenceId)[1];

        // Rewinding to 13 rewrites position 12, inside the cached second page: the session gets its own copy.
        expected.Rewind(13);
        actual.Rewind(13);
        Assert.NotEqual(cachedPage, paged.Cache.Pages(actual.SequenceId)[1]);
        expected.Append(other);
        actual.Append(other);
        AssertClose(expected.Logits, actual.Logits, "after the rewind");

        // Another sequence starting with the story finds the original pages, all of them.
        int[] prompt = [.. story, .. other];
        int reused = paged.ReusePrefix(1, prompt);
        Assert.Equal(full * 8, reused);
        Assert.Equal(cachedPage, paged.Cache.Pages(1)[1]);
        var batch = new TokenBatch(64);
        for (int i = reused; i < prompt.Length; i++)
            batch.Add(prompt[i], i, 1, wantsLogits: i == prompt.Length - 1);
        var logits = new float[model.VocabularySize];
        paged.Forward(batch, logits);

        expected.Dispose();
        using var fresh = contiguous.CreateSession();
        fresh.Append(prompt);
        // The shared pages were computed in another batch: float sums are reordered slightly (as in SessionTests).
        AssertClose(fresh.Logits, logits, "with a shared prefix", 1e-3f);
        Assert.Equal(Logits.ArgMax(fresh.Logits), Logits.ArgMax(logits));
    }

    [Fact]
    public void A_pool_too_small_for_the_batch_says_so_and_keeps_what_it_holds()
    {
        using var model = ModelLoader.Load(SharedData.Model("stories260K.gguf"));
        using var paged = new InferenceContext(model, new ContextOptions
        {
            ContextSize = 128, BatchSize = 64, SequenceCount = 2, Threads = 2,
            Paging = new KvPaging { PageSize = 8, TotalTokens = 32 },
        });
        Assert.Equal(4, paged.Cache.PageCount);
        using var first = paged.CreateSession();
        first.Append(Enumerable.Range(1, 20).ToArray());
        var logits = first.Logits.ToArray();
        using var second = paged.CreateSession();
        Assert.False(paged.TryReserve(second.SequenceId, 0, 20));
        Assert.Throws<KvCacheFullException>(() => second.Append(Enumerable.Range(1, 20).ToArray()));
        Assert.Equal(3, paged.Cache.Pages(first.SequenceId).Length);
        Assert.Equal(logits, first.Logits.ToArray());
        first.Append(21);   // the first sequence goes on in its own pages
        Assert.Equal(21, first.Length);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tolerance = SameLogits)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float allowed = tolerance * (1 + Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, $"{what}: logit {i} is {actual[i]}, expected {expected[i]}");
        }
    }
}
