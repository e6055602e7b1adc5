using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;
using Xunit.Abstractions;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>Element-wise and row operations on the device vs the same calls on CpuDevice.</summary>
public sealed class ElementwiseTests : IDisposable
{
    private readonly KernelThreadPool _pool = new(1);
    private readonly CpuDevice _cpu;
    private readonly TestRandom _random;

    public ElementwiseTests(ITestOutputHelper output)
    {
        _cpu = new CpuDevice(_pool);
        _random = new TestRandom(output);
    }

    private static OpenClDevice Device => OpenClTestDevice.Shared;

    public void Dispose()
    {
        _cpu.Dispose();
        _pool.Dispose();
    }

    /// <summary>Runs <paramref name="operation"/> on both devices over buffers holding the same values, and compares
    /// buffer <paramref name="result"/> afterwards.</summary>
    private void Both(float[][] inputs, Action<ComputeDevice, DeviceBuffer[]> operation, int result, double tolerance, string what)
    {
        DeviceBuffer[] onCpu = inputs.Select(v => _cpu.Upload(v)).ToArray();
        DeviceBuffer[] onDevice = inputs.Select(v => Device.Upload(v)).ToArray();
        try
        {
            operation(_cpu, onCpu);
            operation(Device, onDevice);
            Compare.Close(_cpu.ReadAll(onCpu[result]), Device.ReadAll(onDevice[result]), tolerance, $"{what}, {_random}");
        }
        finally
        {
            foreach (var buffer in onCpu.Concat(onDevice))
                buffer.Dispose();
        }
    }

    [OpenClTheory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(301, 5)]
    [InlineData(4096, 2)]
    public void RmsNormMatchesCpu(int width, int rows)
    {
        float[] x = _random.Floats(width * rows), weight = _random.Floats(width);
        Both([x, weight, new float[x.Length]], (d, b) => d.RmsNorm(b[0].All, b[1], 1e-5f, b[2].All), 2, OpenClTolerances.Elementwise, "rmsnorm");
        // In place, as the runtime calls it.
        Both([x, weight], (d, b) => d.RmsNorm(b[0].All, b[1], 1e-6f, b[0].All), 0, OpenClTolerances.Elementwise, "rmsnorm in place");
    }

    [OpenClTheory]
    [InlineData(1, 1)]
    [InlineData(33, 7)]
    public void AddRowsMatchesCpu(int width, int rows)
    {
        Both([_random.Floats(width * rows), _random.Floats(width)], (d, b) => d.AddRows(b[0].All, b[1]), 0, OpenClTolerances.Elementwise, "add rows");
    }

    [OpenClTheory]
    [InlineData(1, 0)]
    [InlineData(37, 5)]
    [InlineData(300, 299)]
    public void ClearZeroesOnlyTheSpan(int length, int offset)
    {
        Both([_random.Floats(offset + length + 3)], (d, b) => d.Clear(b[0].Slice(offset, length)), 0, 0, "clear");
    }

    [OpenClTheory]
    [InlineData(RopeStyle.Normal, 1, 4, 64, 0, 0, 10000f, 1f)]
    [InlineData(RopeStyle.Normal, 5, 8, 128, 3, 0, 500000f, 1f)]
    [InlineData(RopeStyle.Neox, 3, 2, 64, 7, 0, 1000000f, 0.25f)]
    [InlineData(RopeStyle.Neox, 2, 3, 80, 3000, 32, 10000f, 1f)]
    [InlineData(RopeStyle.Normal, 17, 1, 96, 3000, 64, 10000f, 0.5f)]
    public void RopeMatchesCpu(RopeStyle style, int tokens, int heads, int headDim, int firstPosition, int rotary, float frequencyBase, float frequencyScale)
    {
        var options = new RopeOptions(style, frequencyBase, frequencyScale, rotary);
        Both([_random.Floats(tokens * heads * headDim)], (d, b) => d.Rope(b[0].All, tokens, heads, headDim, firstPosition, options), 0,
            OpenClTolerances.Rope, $"rope {style}");
    }

    [OpenClTheory]
    [InlineData(1)]
    [InlineData(1027)]
    public void SwiGluAddAndSoftmaxMatchCpu(int length)
    {
        float[] gate = _random.Floats(length, 6f), up = _random.Floats(length);
        Both([gate, up, new float[length]], (d, b) => d.SwiGlu(b[0].All, b[1].All, b[2].All), 2, OpenClTolerances.Elementwise, "swiglu");
        Both([gate, up], (d, b) => d.SwiGlu(b[0].All, b[1].All, b[0].All), 0, OpenClTolerances.Elementwise, "swiglu into gate");
        Both([gate, up], (d, b) => d.Add(b[0].All, b[1].All), 0, OpenClTolerances.Elementwise, "add");
        Both([gate], (d, b) => d.Softmax(b[0].All, length), 0, OpenClTolerances.Elementwise, "softmax one row");
    }

    [OpenClTheory]
    [InlineData(1, 3)]
    [InlineData(7, 5)]
    [InlineData(151, 4)]
    public void SoftmaxPerRowMatchesCpu(int rowLength, int rows)
    {
        Both([_random.Floats(rowLength * rows, 20f)], (d, b) => d.Softmax(b[0].All, rowLength), 0, OpenClTolerances.Elementwise, "softmax");
    }

    [OpenClTheory]
    [InlineData(1)]
    [InlineData(37)]
    public void GatherAndScatterAddMatchCpu(int rowLength)
    {
        const int sourceRows = 9;
        int[] rows = [4, 0, 8, 4, 2];  // row 4 twice: scatter-add must add both
        float[] weights = [0.5f, -1.25f, 2f, 0.75f, 1f];
        float[] source = _random.Floats(sourceRows * rowLength);
        Both([source, new float[rows.Length * rowLength]], (d, b) => d.GatherRows(b[0].All, rowLength, rows, b[1].All), 1,
            OpenClTolerances.Rows, "gather");
        Both([_random.Floats(rows.Length * rowLength), _random.Floats(sourceRows * rowLength)],
            (d, b) => d.ScatterAddRows(b[0].All, rowLength, rows, weights, b[1].All), 1, OpenClTolerances.Rows, "scatter-add");
        // Different index data on the second call through the same (reused) scratch buffers.
        int[] other = [1, 3];
        Both([source, new float[2 * rowLength]], (d, b) => d.GatherRows(b[0].All, rowLength, other, b[1].All), 1, OpenClTolerances.Rows, "gather again");
    }

    [OpenClFact]
    public void SpansAtOffsetsLeaveTheRestAlone()
    {
        var x = _random.Floats(100);
        var y = _random.Floats(100);
        Both([x, y], (d, b) => d.Add(b[0].Slice(10, 50), b[1].Slice(40, 50)), 0, OpenClTolerances.Elementwise, "add at offsets");
        Both([x, y], (d, b) => d.SwiGlu(b[0].Slice(3, 20), b[1].Slice(70, 20), b[1].Slice(5, 20)), 1, OpenClTolerances.Elementwise, "swiglu at offsets");
    }

    [OpenClFact]
    public void BadArgumentsAreArgumentExceptions()
    {
        using var a = Device.Allocate(10);
        using var b = Device.Allocate(12);
        using var foreign = _cpu.Allocate(10);
        Assert.ThrowsAny<ArgumentException>(() => Device.Add(a.All, b.All));
        Assert.ThrowsAny<ArgumentException>(() => Device.Add(a.All, foreign.All));
        Assert.ThrowsAny<ArgumentException>(() => Device.Softmax(a.All, 3));
        Assert.ThrowsAny<ArgumentException>(() => Device.GatherRows(a.All, 5, [2], b.All));
        Assert.ThrowsAny<ArgumentException>(() => Device.Rope(a.All, 1, 1, 10, 0, new RopeOptions(RopeStyle.Normal, RotaryDimensions: 3)));
        Assert.False(Device.Failed);
    }
}
