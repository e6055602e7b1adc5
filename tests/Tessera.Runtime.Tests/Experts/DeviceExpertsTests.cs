using Tessera.Devices;
using Tessera.Models;
using Tessera.Models.Experts;
using Tessera.Runtime.Experts;
using Tessera.Runtime.Placement;
using Tessera.Runtime.Tests.Placement;
using Tessera.Testing;

namespace Tessera.Runtime.Tests.Experts;

/// <summary>
/// Hot experts on an accelerator, the rest on the CPU: on an accelerator that computes like the CPU the logits are the
/// same to the bit; the copies keep within their budget and follow the statistics when they shift; an accelerator that
/// fails leaves every expert on the CPU with the same text; and on PoCL (a real OpenCL device) the text is the same.
/// </summary>
public sealed class DeviceExpertsTests : IDisposable
{
    /// <summary>Where each test's statistics file goes (a context writes it when it closes).</summary>
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> MoeModels => new("syn-qwen3moe-Q8_0.gguf", "syn-mixtral-Q4_0.gguf", "syn-qwen3moe-F16.gguf");

    private static readonly int[] Prompt = [1, 15, 200, 37, 411, 98, 7, 300, 52, 9, 140, 77];

    [Theory]
    [MemberData(nameof(MoeModels))]
    public void Experts_split_between_an_accelerator_and_the_cpu_give_the_same_logits_to_the_bit(string modelFile)
    {
        using var model = ModelLoader.Load(SharedData.Model(modelFile));
        var hp = model.Hyperparameters;
        var expected = GreedyLogits(Context(model, null, null), steps: 10);

        using var pool = new Kernels.Threading.KernelThreadPool(2);
        using var accelerator = new SimulatedAccelerator(pool);
        long budget = HalfTheExperts(model);
        using var context = Context(model, accelerator, new ExpertDeviceOptions { Device = "sim", MemoryBytes = budget, SeedFile = NoSeed() });
        var experts = context.DeviceExperts!;
        WaitForCopies(experts, hp);
        Assert.InRange(experts.HotPerLayer, 1, hp.ExpertCount - 1);
        Assert.True(experts.ResidentBytes <= budget, $"{experts.ResidentBytes} bytes of copies over a budget of {budget}");

        var actual = GreedyLogits(context, steps: 10);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{modelFile}: step {i} logits differ");
        Assert.True(experts.DeviceChoices > 0 && experts.HostChoices > 0, $"device {experts.DeviceChoices}, host {experts.HostChoices} choices");
    }

    [Fact]
    public void Copies_follow_the_statistics_when_they_shift_and_keep_within_the_budget()
    {
        using var model = ModelLoader.Load(SharedData.Model("syn-qwen3moe-Q8_0.gguf"));
        var hp = model.Hyperparameters;
        using var pool = new Kernels.Threading.KernelThreadPool(1);
        using var accelerator = new SimulatedAccelerator(pool);
        var statistics = new ExpertStatistics(hp.LayerCount, hp.ExpertCount);
        long perExpert = model.Layers.Sum(l => (l.ExpertGate!.Value.Rows * l.ExpertGate.Value.RowBytes + l.ExpertUp!.Value.Rows * l.ExpertUp.Value.RowBytes
            + l.ExpertDown!.Value.Rows * l.ExpertDown.Value.RowBytes) / hp.ExpertCount);
        using var experts = new DeviceExperts(model, accelerator, budgetBytes: 2 * perExpert + perExpert / 2, statistics, []);
        Assert.Equal(2, experts.HotPerLayer);
        WaitForCopies(experts, hp);
        // No counts yet: the lowest ids.
        Assert.True(experts.Copy(0, 0) != null && experts.Copy(0, 1) != null && experts.Copy(0, 2) == null);

        // Experts 7 and 9 become the most chosen in every layer; the next re-plan moves the copies.
        for (int step = 0; step < DeviceExperts.ReplanSteps; step++)
        {
            for (int layer = 0; layer < hp.LayerCount; layer++)
                statistics.Record(layer, [7, 9, 7, 9, 7, 9, 3, 4], tokens: 2);
        }
        // The uploader re-plans layer by layer and counts an eviction after it frees the copy: wait for every layer
        // and every count (checking layer 0 only, a run once saw 4 of the 2 x layers evictions still to come).
        WaitUntil(() => experts.Evictions >= 2 * hp.LayerCount && Enumerable.Range(0, hp.LayerCount).All(layer =>
                experts.Copy(layer, 7) != null && experts.Copy(layer, 9) != null && experts.Copy(layer, 0) == null && experts.Copy(layer, 1) == null),
            "the copies did not follow the shift in every layer, with an eviction each for experts 0 and 1");
        Assert.True(experts.ResidentBytes <= experts.BudgetBytes);
        for (int layer = 0; layer < hp.LayerCount; layer++)
            Assert.Equal(2, Enumerable.Range(0, hp.ExpertCount).Count(e => experts.Copy(layer, e) != null));
    }

    [Fact]
    public void An_accelerator_that_fails_leaves_every_expert_on_the_cpu_with_the_same_text()
    {
        using var model = ModelLoader.Load(SharedData.Model("syn-mixtral-Q4_0.gguf"));
        var expected = GreedyTokens(Context(model, null, null), steps: 12);
        using var pool = new Kernels.Threading.KernelThreadPool(1);
        using var failing = new SimulatedAccelerator(pool, failOnUpload: true);
        using var context = Context(model, failing, new ExpertDeviceOptions { Device = "sim", MemoryBytes = HalfTheExperts(model), SeedFile = NoSeed() });
        WaitUntil(() => failing.Failed, "the upload did not fail");
        Assert.Equal(expected, GreedyTokens(context, steps: 12, dispose: false));
        Assert.False(context.DeviceExperts!.Usable);
        Assert.Equal(0, context.DeviceExperts.DeviceChoices);
    }

    [Fact]
    public void An_unknown_device_is_a_clear_error()
    {
        using var model = ModelLoader.Load(SharedData.Model("syn-mixtral-Q4_0.gguf"));
        var error = Assert.Throws<ExpertTierException>(() => Context(model, null, new ExpertDeviceOptions { Device = "gpu9" }, accelerators: []));
        Assert.Contains("--moe-device gpu9: no such accelerator", error.Message);
    }

    [PoclFact]
    public void Hot_experts_on_pocl_write_the_same_text_as_the_cpu()
    {
        using var model = ModelLoader.Load(SharedData.Model("syn-qwen3moe-Q8_0.gguf"));
        var expected = GreedyTokens(Context(model, null, null), steps: 12);
        var pocl = DeviceDiscovery.Accelerators.First(d => d.Name == "opencl");
        using var context = Context(model, pocl, new ExpertDeviceOptions { Device = "opencl", MemoryBytes = HalfTheExperts(model), SeedFile = NoSeed() });
        WaitForCopies(context.DeviceExperts!, model.Hyperparameters);
        Assert.Equal(expected, GreedyTokens(context, steps: 12, dispose: false));
        Assert.True(context.DeviceExperts!.DeviceChoices > 0, "no expert ran on PoCL");
    }

    private string NoSeed() => Path.Combine(_folder.Path, "stats.json");

    private static long HalfTheExperts(TransformerModel model) =>
        model.Layers.Sum(l => l.ExpertGate!.Value.Rows * l.ExpertGate.Value.RowBytes + l.ExpertUp!.Value.Rows * l.ExpertUp.Value.RowBytes
            + l.ExpertDown!.Value.Rows * l.ExpertDown.Value.RowBytes) / 2;

    private static void WaitForCopies(DeviceExperts experts, Hyperparameters hp) =>
        WaitUntil(() => Enumerable.Range(0, hp.LayerCount).All(layer =>
            Enumerable.Range(0, hp.ExpertCount).Count(e => experts.Copy(layer, e) != null) == experts.HotPerLayer), "the copies were not made");

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            Thread.Sleep(10);
        }
    }

    private static InferenceContext Context(TransformerModel model, ComputeDevice? accelerator, ExpertDeviceOptions? onDevice,
        IReadOnlyList<ComputeDevice>? accelerators = null) =>
        new(model, new ContextOptions
        {
            ContextSize = 64, BatchSize = 16, Threads = 2, KvCacheType = Tensors.GgmlType.F32, ExpertDevice = onDevice,
            Accelerators = accelerators ?? (accelerator is null ? [] : [accelerator]),
        });

    private static List<float[]> GreedyLogits(InferenceContext context, int steps)
    {
        using (context)
            return GreedyDecoding.Run(context, Prompt, steps).Logits;
    }

    private static List<int> GreedyTokens(InferenceContext context, int steps, bool dispose = true)
    {
        try
        {
            return GreedyDecoding.Run(context, Prompt, steps).Tokens;
        }
        finally
        {
            if (dispose)
                context.Dispose();
        }
    }
}
