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
        using var cpuOnly = Context(null, null, sequences: 2);
        var expected = BatchedDecoding.Run(cpuOnly, Prompt, sequences: 2, steps: 10);
        var sim = new SimulatedAccelerator(_pool);
        using var placed = Context(sim, new PlacementOptions { Device = sim.Name }, sequences: 2);
        var actual = BatchedDecoding.Run(placed, Prompt, sequences: 2, steps: 10, beforeDecoding: () => sim.InjectFault(3));
        Assert.Equal(1, placed.DeviceFailures);
        Assert.Equal(expected.Tokens, actual.Tokens);
    }

    public void Dispose() => _pool.Dispose();
}
