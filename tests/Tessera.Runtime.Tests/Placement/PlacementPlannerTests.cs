using Tessera.Devices;
using Tessera.Devices.Measurement;
using Tessera.Models;
using Tessera.Runtime.Placement;
using Tessera.Testing;

namespace Tessera.Runtime.Tests.Placement;

/// <summary>The planner with fake devices of given memory and speed: it places what fits where it is predicted faster,
/// never over memory, and says what it did with requests it cannot follow.</summary>
public sealed class PlacementPlannerTests : IClassFixture<StoriesModel>
{
    private const long KvLayerBytes = 16 << 10;
    private readonly TransformerModel _model;
    private readonly FakeDevice _cpu = new("cpu", 1L << 34, DeviceKind.Cpu);

    public PlacementPlannerTests(StoriesModel stories) => _model = stories.Model;

    private ExecutionPlan Plan(PlacementOptions options, params (FakeDevice Device, DeviceSpeed Speed)[] accelerators)
    {
        var speeds = accelerators.ToDictionary(a => (ComputeDevice)a.Device, a => a.Speed);
        speeds[_cpu] = FakeDevice.Speed(10e9, 2e-6);
        var costs = new PlanCostModel(_model, d => speeds[d]);
        return PlacementPlanner.Plan(_model, [_cpu, .. accelerators.Select(a => a.Device)], options, costs, KvLayerBytes, scratchBytes: 0);
    }

    /// <summary>Bytes one layer's weights and KV take (stories260K keeps them F32).</summary>
    private long LayerBytes(int layer) => ModelPart.Of(_model).Where(p => p.Layer == layer)
        .Sum(p => p.Matrices.Sum(m => m.Matrix.RowBytes * m.Matrix.Rows)) + KvLayerBytes;

    [Fact]
    public void A_faster_device_with_room_takes_every_layer_and_the_head()
    {
        var gpu = new FakeDevice("gpu", 1L << 30);
        var plan = Plan(new PlacementOptions(), (gpu, FakeDevice.Speed(200e9, 1e-6)));
        Assert.All(plan.Assignment.Attention, d => Assert.Same(gpu, d));
        Assert.All(plan.Assignment.FeedForward, d => Assert.Same(gpu, d));
        Assert.Same(gpu, plan.Assignment.Head);
        Assert.Contains(plan.Notes, n => n.Contains("5 of 5 layers on gpu"));
    }

    [Fact]
    public void A_slower_device_gets_nothing_and_the_plan_says_why()
    {
        var slow = new FakeDevice("opencl", 1L << 30);
        var plan = Plan(new PlacementOptions(), (slow, FakeDevice.Speed(0.5e9, 40e-6)));
        Assert.All(plan.Assignment.Attention, d => Assert.Same(_cpu, d));
        Assert.Same(_cpu, plan.Assignment.Head);
        Assert.Contains(plan.Notes, n => n.Contains("predicted slower") && n.Contains("everything stays on the CPU"));
        Assert.Contains("note: opencl is predicted slower", plan.Describe());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Places_only_what_fits_and_the_fastest_of_what_fits(int layersOfMemory)
    {
        long budget = Enumerable.Range(0, layersOfMemory).Sum(LayerBytes) + 1000;
        var gpu = new FakeDevice("gpu", (long)(budget / 0.9) + 1);
        var speed = FakeDevice.Speed(200e9, 1e-6);
        var plan = Plan(new PlacementOptions(), (gpu, speed));
        long used = plan.WeightBytes.GetValueOrDefault(gpu) + plan.KvBytes.GetValueOrDefault(gpu);
        Assert.True(used <= gpu.MemoryFree * 0.9, $"{used} bytes placed on a device with {gpu.MemoryFree * 0.9} usable");
        int onGpu = plan.Assignment.Attention.Count(d => d == gpu);
        Assert.Equal(layersOfMemory, onGpu);
        // The layers placed are the last ones, as with llama.cpp's layer count.
        Assert.All(Enumerable.Range(5 - onGpu, onGpu), i => Assert.Same(gpu, plan.Assignment.Attention[i]));
        Assert.True(double.IsFinite(plan.PredictedTokensPerSecond) && plan.PredictedTokensPerSecond > 0);
    }

    [Fact]
    public void Gpu_layers_beyond_the_model_are_clamped_with_a_note()
    {
        var gpu = new FakeDevice("gpu", 1L << 30);
        var plan = Plan(new PlacementOptions { GpuLayers = 99 }, (gpu, FakeDevice.Speed(0.5e9, 1e-6)));
        Assert.All(plan.Assignment.Attention, d => Assert.Same(gpu, d));
        Assert.Same(gpu, plan.Assignment.Head);
        Assert.Contains(plan.Notes, n => n.Contains("--gpu-layers 99 is more than the model's 5 layers"));
    }

    [Fact]
    public void An_explicit_layer_count_is_followed_even_when_predicted_slower()
    {
        var gpu = new FakeDevice("gpu", 1L << 30);
        var plan = Plan(new PlacementOptions { GpuLayers = 2 }, (gpu, FakeDevice.Speed(0.5e9, 1e-6)));
        Assert.Equal(new[] { false, false, false, true, true }, plan.Assignment.Attention.Select(d => d == gpu));
        Assert.Same(_cpu, plan.Assignment.Head);
    }

    [Fact]
    public void A_device_without_memory_for_one_layer_gets_nothing_and_the_plan_says_so()
    {
        var tiny = new FakeDevice("gpu", 4096);
        var plan = Plan(new PlacementOptions { Device = "gpu" }, (tiny, FakeDevice.Speed(200e9, 1e-6)));
        Assert.All(plan.Assignment.Attention, d => Assert.Same(_cpu, d));
        Assert.Contains(plan.Notes, n => n.Contains("less than one layer needs"));
    }

    [Fact]
    public void Unknown_devices_and_bad_options_are_clear_errors()
    {
        var gpu = new FakeDevice("gpu", 1L << 30);
        var speed = FakeDevice.Speed(200e9, 1e-6);
        var unknown = Assert.Throws<PlacementException>(() => Plan(new PlacementOptions { Device = "cuda" }, (gpu, speed)));
        Assert.Contains("unknown device 'cuda'", unknown.Message);
        Assert.Contains("gpu", unknown.Message);
        Assert.Throws<PlacementException>(() => Plan(new PlacementOptions { Overrides = TensorOverride.Parse("ffn=npu") }, (gpu, speed)));
        Assert.Throws<PlacementException>(() => Plan(new PlacementOptions { GpuLayers = -1 }, (gpu, speed)));
        Assert.Throws<PlacementException>(() => TensorOverride.Parse("ffn_(=cpu"));
        Assert.Throws<PlacementException>(() => TensorOverride.Parse("no-device"));
        Assert.Throws<PlacementException>(() => PlacementOptions.ParseGpuLayers("many"));
    }

    [Fact]
    public void Tensor_overrides_move_the_sub_blocks_holding_matching_tensors()
    {
        var gpu = new FakeDevice("gpu", 1L << 30);
        var plan = Plan(new PlacementOptions { Device = "gpu", Overrides = TensorOverride.Parse("ffn_.*=cpu") }, (gpu, FakeDevice.Speed(200e9, 1e-6)));
        Assert.All(plan.Assignment.Attention, d => Assert.Same(gpu, d));
        Assert.All(plan.Assignment.FeedForward, d => Assert.Same(_cpu, d));
        Assert.Contains("attention of 0-4", plan.LayersOn(gpu));

        var firstHalf = Plan(new PlacementOptions { Device = "cpu", Overrides = TensorOverride.Parse(@"blk\.[01]\.=gpu") }, (gpu, FakeDevice.Speed(200e9, 1e-6)));
        Assert.Equal(new[] { true, true, false, false, false }, firstHalf.Assignment.Attention.Select(d => d == gpu));
        Assert.Equal(firstHalf.Assignment.Attention, firstHalf.Assignment.FeedForward);
    }

    [Fact]
    public void Transfers_count_against_splitting_the_model()
    {
        // Barely faster per byte but with very slow transfers: moving the stream across costs more than it saves.
        var gpu = new FakeDevice("gpu", 1L << 30);
        var plan = Plan(new PlacementOptions(), (gpu, FakeDevice.Speed(11e9, 2e-6, transferBytesPerSecond: 1e3)));
        Assert.All(plan.Assignment.Attention, d => Assert.Same(_cpu, d));
    }
}
