using Tessera.Testing;
using Tessera.Devices;
using Tessera.Kernels.Threading;
using Tessera.Models;
using Tessera.Runtime.Placement;

namespace Tessera.Runtime.Tests.Placement;

/// <summary>
/// Placement across two devices and fallback, with an accelerator that computes exactly like the CPU: any placement
/// must give the CPU's logits bit for bit, and a device failing at any step must leave the generated tokens as they
/// would have been, with the failure counted and the failed device's parts on the CPU.
/// </summary>
public sealed class FallbackTests(StoriesModel stories) : IClassFixture<StoriesModel>, IDisposable
{
    private readonly KernelThreadPool _pool = new(2);
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 418, 267, 400];

    private InferenceContext Context(ComputeDevice? accelerator, PlacementOptions? placement, int sequences = 1)
    {
        var speed = FakeDevice.Speed(10e9, 2e-6);
        return new InferenceContext(stories.Model, new ContextOptions
        {
            ContextSize = 96,
            BatchSize = 16,
            SequenceCount = sequences,
            Threads = 2,
            Placement = placement,
            Accelerators = accelerator is null ? [] : [accelerator],
            Speeds = _ => speed,
        }, _pool);
    }

    /// <summary>Greedy tokens after the prompt, and the logits of every step.</summary>
    private static (List<int> Tokens, List<float[]> Logits) Greedy(InferenceContext context, int steps)
    {
        using var session = context.CreateSession();
        session.Append(Prompt);
        var tokens = new List<int>();
        var logits = new List<float[]>();
        for (int i = 0; i < steps; i++)
        {
            logits.Add(session.Logits.ToArray());
            int next = Logits.ArgMax(session.Logits);
            tokens.Add(next);
            session.Append(next);
        }
        return (tokens, logits);
    }

    [Theory]
    [InlineData(null)]      // every part on the accelerator
    [InlineData(2)]         // the last two layers there, the head on the CPU
    [InlineData(4)]
    public void Any_placement_gives_the_cpu_logits_exactly(int? gpuLayers)
    {
        using var cpuOnly = Context(null, null);
        var expected = Greedy(cpuOnly, 12);
        var sim = new SimulatedAccelerator(_pool);
        using var placed = Context(sim, new PlacementOptions { Device = sim.Name, GpuLayers = gpuLayers });
        Assert.Equal(gpuLayers ?? 5, placed.Plan.Assignment.Attention.Count(d => d == sim));
        Assert.All(placed.Plan.Assignment.Attention, d => Assert.Same(d, placed.Cache.Layer(placed.Plan.Assignment.Attention.ToList().IndexOf(d)).Device));
        var actual = Greedy(placed, 12);
        Assert.Equal(expected.Tokens, actual.Tokens);
        for (int i = 0; i < expected.Logits.Count; i++)
            Assert.Equal(expected.Logits[i], actual.Logits[i]);
    }

    [Theory]
    [InlineData(0)]      // during the prompt
    [InlineData(1)]      // the first decode step
    [InlineData(5)]
    [InlineData(11)]
    public void A_device_failing_mid_generation_changes_no_token(int failingStep)
    {
        using var cpuOnly = Context(null, null);
        var expected = Greedy(cpuOnly, 16);
        var sim = new SimulatedAccelerator(_pool);
        using var context = Context(sim, new PlacementOptions { Device = sim.Name, GpuLayers = 3 });
        var reports = new List<FallbackReport>();
        context.DeviceFallback += reports.Add;
        sim.InjectFault(failingStep);

        var actual = Greedy(context, 16);

        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(1, context.DeviceFailures);
        var report = Assert.Single(reports);
        Assert.Same(sim, report.Device);
        Assert.Contains("layers 2-4 moved to the CPU", report.Moved);
        // Everything computed before the failure was recomputed: the prompt and the decode steps before it.
        Assert.Equal(failingStep == 0 ? 0 : Prompt.Length + failingStep - 1, report.RecomputedTokens);
        Assert.True(sim.Failed);
        Assert.All(context.Plan.Assignment.Attention, d => Assert.Same(context.Cpu, d));
        Assert.All(Enumerable.Range(0, 5), i => Assert.Same(context.Cpu, context.Cache.Layer(i).Device));
        Assert.Contains(context.Plan.Notes, n => n.StartsWith("sim failed"));
    }

    [Fact]
    public void A_device_failing_while_loading_leaves_the_plan_before_the_first_token()
    {
        using var cpuOnly = Context(null, null);
        var expected = Greedy(cpuOnly, 8);
        var sim = new SimulatedAccelerator(_pool, failOnUpload: true);
        using var context = Context(sim, new PlacementOptions { Device = sim.Name });
        Assert.Equal(1, context.DeviceFailures);
        Assert.All(context.Plan.Assignment.Attention, d => Assert.Same(context.Cpu, d));
        Assert.Contains(context.Plan.Notes, n => n.StartsWith("sim failed while loading") && n.Contains("layers 0-4 and the output head moved to the CPU"));
        Assert.Equal(expected.Tokens, Greedy(context, 8).Tokens);
    }

    [Fact]
    public void Batched_sequences_survive_a_failure_between_them()
    {
        // Two sequences decoded in one batch per step, as the server does; the device fails at the fourth step.
        var expected = RunTwoSequences(Context(null, null, sequences: 2), fault: null);
        var sim = new SimulatedAccelerator(_pool);
        var actual = RunTwoSequences(Context(sim, new PlacementOptions { Device = sim.Name }, sequences: 2), fault: sim);
        Assert.Equal(expected, actual);
    }

    private static List<int>[] RunTwoSequences(InferenceContext context, SimulatedAccelerator? fault)
    {
        using (context)
        {
            int vocab = context.VocabularySize;
            var batch = new TokenBatch(16);
            var logits = new float[2 * vocab];
            var output = new[] { new List<int>(), new List<int>() };
            int[] next = new int[2];
            int[] length = new int[2];
            for (int s = 0; s < 2; s++)
            {
                batch.Clear();
                var prompt = Prompt.Skip(s).ToArray();
                for (int i = 0; i < prompt.Length; i++)
                    batch.Add(prompt[i], i, s, i == prompt.Length - 1);
                context.Forward(batch, logits.AsSpan(0, vocab));
                next[s] = Logits.ArgMax(logits.AsSpan(0, vocab));
                length[s] = prompt.Length;
            }
            fault?.InjectFault(3);
            for (int step = 0; step < 10; step++)
            {
                batch.Clear();
                for (int s = 0; s < 2; s++)
                {
                    output[s].Add(next[s]);
                    batch.Add(next[s], length[s]++, s, true);
                }
                context.Forward(batch, logits);
                for (int s = 0; s < 2; s++)
                    next[s] = Logits.ArgMax(logits.AsSpan(s * vocab, vocab));
            }
            if (fault is not null)
                Assert.Equal(1, context.DeviceFailures);
            return output;
        }
    }

    public void Dispose() => _pool.Dispose();
}
