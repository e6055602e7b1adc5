using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Kernels.Threading;
using Tessera.Tensors;
using Xunit.Abstractions;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>Attention over the device-resident KV cache vs CpuDevice, appending in several calls per sequence.</summary>
public sealed class AttentionTests(ITestOutputHelper output)
{
    [OpenClTheory]
    [InlineData(GgmlType.F32, 8, 2, 64)]
    [InlineData(GgmlType.F16, 8, 2, 64)]
    [InlineData(GgmlType.F32, 4, 4, 40)]
    [InlineData(GgmlType.F16, 4, 4, 128)]
    [InlineData(GgmlType.F16, 2, 1, 256)]
    public void MatchesCpuOverPromptAndDecode(GgmlType cacheType, int heads, int kvHeads, int headDim)
    {
        var random = new TestRandom(output);
        var device = OpenClTestDevice.Shared;
        using var pool = new KernelThreadPool(1);
        using var cpu = new CpuDevice(pool);
        const int positions = 96, sequences = 3;
        using var deviceCache = device.CreateKvLayer(kvHeads, headDim, positions, sequences, cacheType);
        using var cpuCache = cpu.CreateKvLayer(kvHeads, headDim, positions, sequences, cacheType);
        Assert.Equal(cpuCache.Bytes, deviceCache.Bytes);
        double tolerance = cacheType == GgmlType.F16 ? OpenClTolerances.AttentionF16 : OpenClTolerances.AttentionF32;

        // (sequence, tokens) in call order: prompts, then decode steps interleaved between sequences; sequence 2's
        // prompt of 70 spans two chunks of 64 positions.
        (int Sequence, int Tokens)[] calls = [(1, 5), (0, 1), (2, 70), (1, 1), (1, 2), (2, 1), (0, 17), (2, 1)];
        var next = new int[sequences];
        foreach (var (sequence, tokens) in calls)
        {
            float[] q = random.Floats(tokens * heads * headDim, 2f);
            float[] k = random.Floats(tokens * kvHeads * headDim, 2f);
            float[] v = random.Floats(tokens * kvHeads * headDim);
            float[] expected = Run(cpu, cpuCache, sequence, next[sequence], tokens, heads, q, k, v);
            float[] actual = Run(device, deviceCache, sequence, next[sequence], tokens, heads, q, k, v);
            Compare.Close(expected, actual, tolerance,
                $"{cacheType} {heads}/{kvHeads} heads x {headDim}, sequence {sequence} at {next[sequence]} + {tokens}, {random}");
            next[sequence] += tokens;
        }
    }

    private static float[] Run(ComputeDevice device, DeviceKvLayer cache, int sequence, int first, int tokens, int heads, float[] q, float[] k, float[] v)
    {
        using var qb = device.Upload(q);
        using var kb = device.Upload(k);
        using var vb = device.Upload(v);
        using var result = device.Allocate(q.Length);
        device.Attention(cache, sequence, first, tokens, heads, qb.All, kb.All, vb.All, result.All);
        return device.ReadAll(result);
    }

    [OpenClFact]
    public void RejectsBadArguments()
    {
        var device = OpenClTestDevice.Shared;
        using var cache = device.CreateKvLayer(2, 16, 8, 1, GgmlType.F16);
        using var q = device.Allocate(8 * 16);
        using var kv = device.Allocate(2 * 16);
        Assert.ThrowsAny<ArgumentException>(() => device.Attention(cache, 1, 0, 1, 8, q.All, kv.All, kv.All, q.All));
        Assert.ThrowsAny<ArgumentException>(() => device.Attention(cache, 0, 8, 1, 8, q.All, kv.All, kv.All, q.All));
        Assert.ThrowsAny<ArgumentException>(() => device.Attention(cache, 0, 0, 1, 3, q.All, kv.All, kv.All, q.All));
        Assert.Throws<ArgumentException>(() => device.CreateKvLayer(2, 16, 8, 1, GgmlType.Q8_0));
        Assert.False(device.Failed);
    }
}
