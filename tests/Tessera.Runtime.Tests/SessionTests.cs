using Tessera.Models;
using Tessera.Tensors;

namespace Tessera.Runtime.Tests;

public sealed class SessionTests(StoriesModel stories) : IClassFixture<StoriesModel>
{
    /// <summary>Different batch splits reorder float sums slightly; stories logits have a std of about 8.</summary>
    private const float SameResult = 1e-3f;

    private int[] Prompt => stories.Tokenizer.Encode("Once upon a time, there was a little girl named Lily.");

    [Fact]
    public void Prompt_processed_in_small_chunks_matches_one_batch()
    {
        using var whole = stories.CreateContext(batchSize: 64);
        using var chunked = stories.CreateContext(batchSize: 3);
        using var a = whole.CreateSession();
        using var b = chunked.CreateSession();
        a.Append(Prompt);
        b.Append(Prompt);
        AssertClose(a.Logits, b.Logits);
    }

    [Fact]
    public void Token_by_token_decoding_matches_the_batch()
    {
        using var context = stories.CreateContext();
        using var batch = context.CreateSession();
        batch.Append(Prompt);
        var expected = batch.Logits.ToArray();
        batch.Clear();
        foreach (int token in Prompt)
            batch.Append(token);
        AssertClose(expected, batch.Logits);
    }

    [Fact]
    public void Rewind_restores_the_logits_of_the_shorter_sequence()
    {
        using var context = stories.CreateContext();
        using var session = context.CreateSession();
        var prompt = Prompt;
        session.Append(prompt.AsSpan(0, 6));
        var atSix = session.Logits.ToArray();
        session.Append(prompt.AsSpan(6));
        session.Rewind(6);
        Assert.Equal(6, session.Length);
        AssertClose(atSix, session.Logits);
        session.Append(prompt.AsSpan(6));
        Assert.Equal(prompt, session.Tokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Rewind(prompt.Length + 1));
    }

    [Fact]
    public void Sequences_in_one_batch_match_separate_sessions()
    {
        using var context = stories.CreateContext(sequences: 2);
        var first = Prompt;
        var second = stories.Tokenizer.Encode("The cat sat on the mat.");
        var expectedFirst = LogitsAlone(first);
        var expectedSecond = LogitsAlone(second);

        var batch = new TokenBatch(first.Length + second.Length);
        for (int i = 0; i < first.Length; i++)
            batch.Add(first[i], i, 0, i == first.Length - 1);
        for (int i = 0; i < second.Length; i++)
            batch.Add(second[i], i, 1, i == second.Length - 1);
        var logits = new float[2 * context.VocabularySize];
        using var joint = stories.CreateContext(batchSize: batch.Count, sequences: 2);
        joint.Forward(batch, logits);
        AssertClose(expectedFirst, logits.AsSpan(0, context.VocabularySize));
        AssertClose(expectedSecond, logits.AsSpan(context.VocabularySize));
    }

    [Fact]
    public void Two_sessions_do_not_disturb_each_other()
    {
        using var context = stories.CreateContext(sequences: 2);
        using var a = context.CreateSession();
        using var b = context.CreateSession();
        a.Append(Prompt.AsSpan(0, 4));
        b.Append(stories.Tokenizer.Encode("A dog ran in the park and barked loudly."));
        a.Append(Prompt.AsSpan(4));
        AssertClose(LogitsAlone(Prompt), a.Logits);
        Assert.Throws<InvalidOperationException>(() => context.CreateSession());
    }

    [Fact]
    public void F16_cache_lands_close_to_F32()
    {
        using var half = stories.CreateContext(kvType: GgmlType.F16);
        using var session = half.CreateSession();
        session.Append(Prompt);
        var expected = LogitsAlone(Prompt);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(expected[i] - session.Logits[i]));
        Assert.InRange(worst, 0, 0.05f);   // F16 keys/values keep ~3 significant digits; logit std is ~8
    }

    [Fact]
    public void Overfull_context_and_foreign_tokens_are_rejected_without_changing_the_session()
    {
        using var context = stories.CreateContext(contextSize: 8);
        using var session = context.CreateSession();
        Assert.Throws<ContextFullException>(() => session.Append(new int[9]));
        session.Append([1, 2]);
        Assert.Throws<ArgumentException>(() => session.Append([stories.Model.VocabularySize]));
        Assert.Equal(2, session.Length);
    }

    private float[] LogitsAlone(int[] tokens)
    {
        using var context = stories.CreateContext();
        using var session = context.CreateSession();
        session.Append(tokens);
        return session.Logits.ToArray();
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= SameResult, $"logit {i}: {actual[i]} vs {expected[i]}");
    }
}
