using Tessera.Devices;
using Tessera.Devices.Cpu;
using Tessera.Kernels.Threading;
using Tessera.Tensors;
using Xunit.Abstractions;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>Attention over the device-resident paged KV cache vs CpuDevice, appending in several calls per sequence,
/// each sequence's pages scattered over the pool.</summary>
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
        const int pageSize = 16, pagesPerSequence = 6, sequences = 3;
        using var deviceCache = device.CreateKvLayer(kvHeads, headDim, pageSize, pagesPerSequence * sequences, cacheType);
        using var cpuCache = cpu.CreateKvLayer(kvHeads, headDim, pageSize, pagesPerSequence * sequences, cacheType);
        int[] shuffled = random.Permutation(pagesPerSequence * sequences);
        int[][] tables = Enumerable.Range(0, sequences).Select(s => shuffled[(s * pagesPerSequence)..((s + 1) * pagesPerSequence)]).ToArray();
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
            float[] expected = Run(cpu, cpuCache, tables[sequence], next[sequence], tokens, heads, q, k, v);
            float[] actual = Run(device, deviceCache, tables[sequence], next[sequence], tokens, heads, q, k, v);
            Compare.Close(expected, actual, tolerance,
                $"{cacheType} {heads}/{kvHeads} heads x {headDim}, sequence {sequence} at {next[sequence]} + {tokens}, {random}");
            next[sequence] += tokens;
        }
    }

    private static float[] Run(ComputeDevice device, DeviceKvLayer cache, int[] pages, int first, int tokens, int heads, float[] q, float[] k, float[] v)
    {
        using var qb = device.Upload(q);
        using var kb = device.Upload(k);
        using var vb = device.Upload(v);
        using var result = device.Allocate(q.Length);
        device.Attention(cache, cache.ElementType, pages, first, tokens, heads, qb.All, kb.All, vb.All, result.All);
        return device.ReadAll(result);
    }

    [OpenClTheory]
    [InlineData(GgmlType.F32)]
    [InlineData(GgmlType.F16)]
    public void CopiedCellsAttendLikeTheOriginals(GgmlType cacheType)
    {
        // Copy on write: a sequence that diverges inside a shared page attends over a copy of the common cells.
        var random = new TestRandom(output);
        var device = OpenClTestDevice.Shared;
        using var pool = new KernelThreadPool(1);
        using var cpu = new CpuDevice(pool);
        const int heads = 4, kvHeads = 2, headDim = 32, pageSize = 8;
        using var deviceCache = device.CreateKvLayer(kvHeads, headDim, pageSize, 4, cacheType);
        using var cpuCache = cpu.CreateKvLayer(kvHeads, headDim, pageSize, 4, cacheType);
        float[] q = random.Floats(13 * heads * headDim, 2f), k = random.Floats(13 * kvHeads * headDim, 2f), v = random.Floats(13 * kvHeads * headDim);
        Run(device, deviceCache, [0, 1], 0, 13, heads, q, k, v);
        deviceCache.CopyCells(1, 3, 5, deviceCache.ElementType);
        float[] q2 = random.Floats(heads * headDim, 2f), k2 = random.Floats(kvHeads * headDim, 2f), v2 = random.Floats(kvHeads * headDim);
        float[] actual = Run(device, deviceCache, [0, 3], 13, 1, heads, q2, k2, v2);
        Run(cpu, cpuCache, [2, 1], 0, 13, heads, q, k, v);
        float[] expected = Run(cpu, cpuCache, [2, 1], 13, 1, heads, q2, k2, v2);
        Compare.Close(expected, actual, cacheType == GgmlType.F16 ? OpenClTolerances.AttentionF16 : OpenClTolerances.AttentionF32, $"{cacheType}, {random}");
    }

    [OpenClFact]
    public void RejectsBadArguments()
    {
        var device = OpenClTestDevice.Shared;
        using var cache = device.CreateKvLayer(2, 16, 8, 1, GgmlType.F16);
        using var q = device.Allocate(8 * 16);
        using var kv = device.Allocate(2 * 16);
        Assert.ThrowsAny<ArgumentException>(() => device.Attention(cache, cache.ElementType, [1], 0, 1, 8, q.All, kv.All, kv.All, q.All));   // no page 1
        Assert.ThrowsAny<ArgumentException>(() => device.Attention(cache, cache.ElementType, [0], 8, 1, 8, q.All, kv.All, kv.All, q.All));   // past the table
        Assert.ThrowsAny<ArgumentException>(() => device.Attention(cache, cache.ElementType, [0], 0, 1, 3, q.All, kv.All, kv.All, q.All));
        Assert.ThrowsAny<ArgumentException>(() => cache.CopyCells(0, 1, 4, cache.ElementType));
        Assert.Throws<ArgumentException>(() => device.CreateKvLayer(2, 16, 8, 1, GgmlType.Q4_0));
        Assert.Throws<NotSupportedException>(() => device.CreateKvLayer(2, 32, 8, 1, GgmlType.Q8_0));   // the CPU's attention reads Q8_0 cells, this one does not
        Assert.False(device.SupportsKvType(GgmlType.Q8_0));
        Assert.False(device.Failed);
    }
}
