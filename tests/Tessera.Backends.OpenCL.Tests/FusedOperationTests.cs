using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;
using Tessera.Tensors;
using Xunit.Abstractions;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>
/// The fused layer operations: RoPE in the q/k products' write (<see cref="LinearTarget.Rotary"/>) and SwiGLU in the
/// down projection's input (<see cref="ComputeDevice.LinearGated"/>). On each device the fused call must give bit for
/// bit what its separate operations give: the CPU fuses them into its kernels, the OpenCL device runs the base class's
/// sequence.
/// </summary>
public sealed unsafe class FusedOperationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void On_the_cpu_fused_calls_equal_the_separate_operations(int tokens)
    {
        using var pool = new KernelThreadPool(2);
        using var cpu = new CpuDevice(pool);
        FusedEqualsSeparate(cpu, tokens);
    }

    [OpenClTheory]
    [InlineData(1)]
    [InlineData(3)]
    public void On_the_device_fused_calls_equal_the_separate_operations(int tokens) => FusedEqualsSeparate(OpenClTestDevice.Shared, tokens);

    private void FusedEqualsSeparate(ComputeDevice device, int tokens)
    {
        var random = new TestRandom(output);
        const int columns = 256, headDim = 64, ffn = 512;
        var rope = new RopeOptions(RopeStyle.Neox, 10000f, 1f, 32);
        int position = random.Next(0, 2000);
        using var q = Upload(device, random, GgmlType.Q8_0, 4 * headDim, columns);
        using var k = Upload(device, random, GgmlType.Q4_0, 2 * headDim, columns);
        using var v = Upload(device, random, GgmlType.Q8_0, 2 * headDim, columns);
        using var down = Upload(device, random, GgmlType.Q4_0, columns, ffn);
        using var x = device.Upload(random.Floats(tokens * columns));
        using var gate = device.Upload(random.Floats(tokens * ffn, 3f));
        using var gateCopy = device.Upload(device.ReadAll(gate));
        using var up = device.Upload(random.Floats(tokens * ffn));

        using var qExpected = device.Allocate(tokens * (int)q.Rows);
        using var kExpected = device.Allocate(tokens * (int)k.Rows);
        using var vExpected = device.Allocate(tokens * (int)v.Rows);
        device.Linear(q, x.All, tokens, qExpected.All);
        device.Linear(k, x.All, tokens, kExpected.All);
        device.Linear(v, x.All, tokens, vExpected.All);
        device.Rope(qExpected.All, tokens, 4, headDim, position, rope);
        device.Rope(kExpected.All, tokens, 2, headDim, position, rope);
        using var qFused = device.Allocate(tokens * (int)q.Rows);
        using var kFused = device.Allocate(tokens * (int)k.Rows);
        using var vFused = device.Allocate(tokens * (int)v.Rows);
        device.LinearShared(x.All, tokens, [new LinearTarget(q, qFused.All, new RotaryOutput(headDim, position, rope)),
            new LinearTarget(k, kFused.All, new RotaryOutput(headDim, position, rope)), new LinearTarget(v, vFused.All)]);
        Assert.True(device.ReadAll(qExpected).AsSpan().SequenceEqual(device.ReadAll(qFused)), $"q on {device.Name}, {random}");
        Assert.True(device.ReadAll(kExpected).AsSpan().SequenceEqual(device.ReadAll(kFused)), $"k on {device.Name}, {random}");
        Assert.True(device.ReadAll(vExpected).AsSpan().SequenceEqual(device.ReadAll(vFused)), $"v on {device.Name}, {random}");

        using var projected = device.Allocate(tokens * columns);
        device.SwiGlu(gateCopy.All, up.All, gateCopy.All);
        device.Linear(down, gateCopy.All, tokens, projected.All);
        using var gated = device.Allocate(tokens * columns);
        device.LinearGated(down, gate.All, up.All, tokens, gated.All);
        Assert.True(device.ReadAll(projected).AsSpan().SequenceEqual(device.ReadAll(gated)), $"gated down projection on {device.Name}, {random}");
    }

    private static DeviceMatrix Upload(ComputeDevice device, TestRandom random, GgmlType type, int rows, int columns)
    {
        var data = new byte[GgmlTypeTraits.Of(type).BytesFor((long)rows * columns)];
        Quantization.Quantize(type, random.Floats(rows * columns), data);
        fixed (byte* p = data)
            return device.UploadMatrix("test.weight", type, p, rows, columns);
    }
}
