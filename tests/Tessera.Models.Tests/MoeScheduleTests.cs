using Tessera.Models.Experts;
using Tessera.Runtime;
using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Models.Tests;

/// <summary>
/// MoE expert scheduling: the parallel expert pass (`--moe-schedule auto`) must give what the expert-by-expert loop
/// gives: the same bits when every step is one token, the same greedy text and logits within kernel rounding when a
/// step mixes tokens; and the expert statistics it keeps must add up.
/// </summary>
public sealed class MoeScheduleTests
{
    public static TheoryData<string> MoeModels => new(Directory.GetFiles(SharedData.Models, "syn-*.gguf").Select(Path.GetFileName)
        .Where(f => f!.Contains("moe") || f.Contains("mixtral")).Order()!);

    private static readonly int[] Prompt = [1, 15, 200, 37, 411, 98, 7, 300];

    private static InferenceContext Context(TransformerModel model, MoeSchedule schedule, int sequences = 1, int threads = 2, int batch = 16) =>
        new(model, new ContextOptions { ContextSize = 64, BatchSize = batch, SequenceCount = sequences, KvCacheType = GgmlType.F32, Threads = threads, MoeSchedule = schedule });

    /// <summary>Greedy steps after the prompt, fed in one pass or one token at a time; every step's logits.</summary>
    private static List<float[]> Greedy(InferenceContext context, int steps, bool tokenByToken)
    {
        using var session = context.CreateSession();
        if (tokenByToken)
        {
            foreach (int token in Prompt)
                session.Append(token);
        }
        else
        {
            session.Append(Prompt);
        }
        var logits = new List<float[]>();
        for (int i = 0; i < steps; i++)
        {
            logits.Add(session.Logits.ToArray());
            session.Append(Logits.ArgMax(session.Logits));
        }
        return logits;
    }

    [Theory]
    [MemberData(nameof(MoeModels))]
    public void One_token_steps_are_the_same_to_the_bit(string modelFile)
    {
        using var model = ModelLoader.Load(SharedData.Model(modelFile));
        using var off = Context(model, MoeSchedule.Off);
        using var on = Context(model, MoeSchedule.Auto);
        var expected = Greedy(off, 12, tokenByToken: true);
        var actual = Greedy(on, 12, tokenByToken: true);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{modelFile}: step {i} logits differ");
    }

    [Theory]
    [MemberData(nameof(MoeModels))]
    public void Prompt_passes_are_the_same_to_the_bit(string modelFile)
    {
        // A 48-token prompt in one pass takes the grouped expert pass: every active expert's rows packed onto the
        // threads longest first. Six threads make the shard plan cut the busiest experts into several work items.
        using var model = ModelLoader.Load(SharedData.Model(modelFile));
        var prompt = Enumerable.Range(0, 48).Select(i => 1 + (i * 37 + 11) % 500).ToArray();
        using var off = Context(model, MoeSchedule.Off, batch: 64);
        var expected = PromptLogits(off, prompt);
        foreach (int threads in new[] { 2, 6 })
        {
            using var on = Context(model, MoeSchedule.Auto, threads: threads, batch: 64);
            var actual = PromptLogits(on, prompt);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{modelFile}: prompt logits differ on {threads} threads");
            Assert.True(on.ExpertStatistics!.ShardPlan.Plans >= model.Hyperparameters.LayerCount, $"{modelFile}: no shard plan was made");
        }
    }

    private static float[] PromptLogits(InferenceContext context, int[] prompt)
    {
        using var session = context.CreateSession();
        session.Append(prompt);
        var logits = session.Logits.ToArray();
        session.Append(Logits.ArgMax(session.Logits));
        return [.. logits, .. session.Logits];
    }

    [Fact]
    public void The_shard_plan_cuts_hot_experts_and_changes_only_when_the_histogram_shifts()
    {
        var stats = new ExpertStatistics(layerCount: 1, expertCount: 4);
        var plan = stats.ShardPlan;
        // Expert 0 takes half of the choices: on 4 workers (8 items for an even layer) it becomes 4 shards.
        stats.Record(0, [0, 1, 0, 2, 0, 3, 0, 1], tokens: 4);
        Assert.Equal(new[] { 4, 2, 1, 1 }, plan.For(0, stats, workers: 4).ToArray());
        Assert.Equal(1, plan.Plans);
        // A small shift keeps the plan.
        stats.Record(0, [1, 2], tokens: 1);
        Assert.Equal(new[] { 4, 2, 1, 1 }, plan.For(0, stats, workers: 4).ToArray());
        Assert.Equal(1, plan.Plans);
        // Expert 3 becoming the hot one is a shift past the threshold: a new plan.
        for (int i = 0; i < 6; i++)
            stats.Record(0, [3, 3, 3, 2], tokens: 2);
        Assert.Equal(new[] { 1, 1, 2, 5 }, plan.For(0, stats, workers: 4).ToArray());
        Assert.Equal(2, plan.Plans);
        // Another worker count is a new plan too; one worker needs no cuts.
        Assert.Equal(new[] { 1, 1, 1, 1 }, plan.For(0, stats, workers: 1).ToArray());
        Assert.Equal(3, plan.Plans);
    }

    [Theory]
    [MemberData(nameof(MoeModels))]
    public void Prompts_and_batched_steps_give_the_same_greedy_text(string modelFile)
    {
        using var model = ModelLoader.Load(SharedData.Model(modelFile));
        using var off = Context(model, MoeSchedule.Off, sequences: 3);
        using var on = Context(model, MoeSchedule.Auto, sequences: 3);
        // Three sequences decoded together: 3 tokens x 4 experts fit one parallel pass.
        var expected = BatchedDecoding.Run(off, Prompt, sequences: 3, steps: 10);
        var actual = BatchedDecoding.Run(on, Prompt, sequences: 3, steps: 10);
        Assert.Equal(expected.Tokens, actual.Tokens);
        for (int i = 0; i < expected.Logits.Count; i++)
        {
            float scale = expected.Logits[i].Max(Math.Abs);
            float error = expected.Logits[i].Zip(actual.Logits[i], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(error <= 1e-3f * scale, $"{modelFile}: step {i} logits differ by {error} (max |logit| {scale})");
        }
    }

    [Theory]
    [MemberData(nameof(MoeModels))]
    public void Statistics_count_every_choice_of_every_token(string modelFile)
    {
        using var model = ModelLoader.Load(SharedData.Model(modelFile));
        using var context = Context(model, MoeSchedule.Auto);
        Greedy(context, 6, tokenByToken: false);
        var stats = context.ExpertStatistics!;
        var hp = model.Hyperparameters;
        int tokens = Prompt.Length + 6;
        for (int layer = 0; layer < hp.LayerCount; layer++)
        {
            Assert.Equal(tokens, stats.Tokens(layer));
            long selections = Enumerable.Range(0, hp.ExpertCount).Sum(e => stats.Selections(layer, e));
            Assert.Equal((long)tokens * hp.ExpertUsedCount, selections);
            // Each step (one prompt pass, six decode steps) makes an expert active at most once.
            Assert.All(Enumerable.Range(0, hp.ExpertCount), e => Assert.InRange(stats.ActiveSteps(layer, e), 0, 7));
            Assert.InRange(stats.Entropy(layer), 0, Math.Log2(hp.ExpertCount) + 1e-9);
        }
    }

    [Fact]
    public void Statistics_are_exact_on_a_scripted_routing()
    {
        var stats = new ExpertStatistics(layerCount: 2, expertCount: 4);
        stats.Record(0, [0, 1, 2, 1, 1, 3], tokens: 3);   // three tokens choosing two experts each
        stats.Record(0, [1, 3], tokens: 1);
        stats.Record(1, [2, 2], tokens: 2);
        Assert.Equal(new long[] { 1, 4, 1, 2 }, Enumerable.Range(0, 4).Select(e => stats.Selections(0, e)));
        Assert.Equal(new long[] { 1, 2, 1, 2 }, Enumerable.Range(0, 4).Select(e => stats.ActiveSteps(0, e)));
        Assert.Equal(4, stats.Tokens(0));
        Assert.Equal(new[] { (1, 4L), (3, 2L) }, stats.Top(0, 2));
        Assert.Equal(0, stats.Entropy(1));
        Assert.Equal(2, stats.Selections(1, 2));
        var uniform = new ExpertStatistics(1, 4);
        uniform.Record(0, [0, 1, 2, 3], 4);
        Assert.Equal(2.0, uniform.Entropy(0), 12);
    }
}
