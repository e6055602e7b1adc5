using Tessera.Devices;
using Tessera.Tensors;
using Xunit.Abstractions;

namespace Tessera.Backends.OpenCL.Tests;

/// <summary>Matrix products on the device vs a float64 reference from the scalar dequantizer.</summary>
public sealed unsafe class LinearTests(ITestOutputHelper output)
{
    /// <summary>A random matrix quantized to its type, and its exact dequantized values.</summary>
    private sealed class Weights
    {
        public Weights(TestRandom random, GgmlType type, int rows, int columns)
        {
            Type = type;
            Rows = rows;
            Columns = columns;
            var floats = random.Floats(rows * columns);
            Data = new byte[GgmlTypeTraits.Of(type).BytesFor((long)rows * columns)];
            Quantization.Quantize(type, floats, Data);
            Values = new float[rows * columns];
            Quantization.Dequantize(type, Data, Values);
        }

        public GgmlType Type { get; }
        public int Rows { get; }
        public int Columns { get; }
        public byte[] Data { get; }
        public float[] Values { get; }

        public DeviceMatrix Upload(ComputeDevice device)
        {
            fixed (byte* p = Data)
                return device.UploadMatrix("test.weight", Type, p, Rows, Columns);
        }

        /// <summary>Asserts y[t, r] = Σ W[firstRow + r, k] x'[t, k] in float64 within the tolerance relative to Σ|w·x'|,
        /// x' being x rounded through the activation type the CPU pairs the weight type with (as the device does).</summary>
        public void Check(ReadOnlySpan<float> input, int tokens, int firstRow, int count, ReadOnlySpan<float> y, string what)
        {
            var x = RoundedLikeTheCpu(Type, input[..(tokens * Columns)], Columns);
            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < count; r++)
                {
                    double sum = 0, magnitude = 0;
                    var row = Values.AsSpan((firstRow + r) * Columns, Columns);
                    for (int k = 0; k < Columns; k++)
                    {
                        double product = (double)row[k] * x[t * Columns + k];
                        sum += product;
                        magnitude += Math.Abs(product);
                    }
                    double error = Math.Abs(y[t * count + r] - sum);
                    if (!(error <= OpenClTolerances.Linear * magnitude + 1e-30))
                        Assert.Fail($"{what}: y[{t}, {r}] = {y[t * count + r]}, expected {sum} (relative error {error / magnitude:G3})");
                }
            }
        }
    }

    /// <summary>x with each row quantized to and back from the weight type's activation type (Q8_0 or Q8_K blocks),
    /// by the scalar reference quantizers; unchanged for float weights.</summary>
    private static float[] RoundedLikeTheCpu(GgmlType weightType, ReadOnlySpan<float> x, int columns)
    {
        var activation = Tessera.Kernels.MatVec.Supports(weightType) ? Tessera.Kernels.MatVec.ActivationTypeFor(weightType) : GgmlType.F32;
        var rounded = x.ToArray();
        if (activation is not (GgmlType.Q8_0 or GgmlType.Q8_1 or GgmlType.Q8_K))
            return rounded;
        var bytes = new byte[GgmlTypeTraits.Of(activation).BytesFor(columns)];
        for (int offset = 0; offset < rounded.Length; offset += columns)
        {
            Quantization.Quantize(activation, rounded.AsSpan(offset, columns), bytes);
            Quantization.Dequantize(activation, bytes, rounded.AsSpan(offset, columns));
        }
        return rounded;
    }

    private static readonly GgmlType[] Types =
        [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.Q3_K, GgmlType.BF16];

    /// <summary>(rows, tokens, blocks): one block, a few, and many, with odd row and token counts (17 = two matmul
    /// tiles of 8 and a remainder of 1).</summary>
    private static readonly (int Rows, int Tokens, int Blocks)[] Shapes = [(1, 1, 1), (7, 2, 16), (33, 5, 3), (301, 17, 6), (301, 1, 16)];

    public static IEnumerable<object[]> Cases() =>
        from type in Types from shape in Shapes select new object[] { type, shape.Rows, shape.Tokens, shape.Blocks };

    private static int ColumnsFor(GgmlType type, int blocks)
    {
        int blockSize = GgmlTypeTraits.Of(type).BlockSize;
        // Elementwise types: odd column counts (37 per "block" keeps the strided loops' remainders busy).
        return blockSize == 1 ? blocks * 37 : blocks * blockSize;
    }

    [OpenClTheory]
    [MemberData(nameof(Cases))]
    public void LinearMatchesReference(GgmlType type, int rows, int tokens, int blocks)
    {
        var random = new TestRandom(output);
        var device = OpenClTestDevice.Shared;
        int columns = ColumnsFor(type, blocks);
        var weights = new Weights(random, type, rows, columns);
        var x = random.Floats(tokens * columns);
        using var matrix = weights.Upload(device);
        Assert.Equal(device.StoredType(type), matrix.Type);
        Assert.Equal(type, matrix.SourceType);
        using var xBuffer = device.Upload(x);
        using var yBuffer = device.Allocate(tokens * rows);
        device.Linear(matrix, xBuffer.All, tokens, yBuffer.All);
        weights.Check(x, tokens, 0, rows, device.ReadAll(yBuffer), $"{type} {rows}x{columns}, {tokens} tokens, {random}");
    }

    [OpenClTheory]
    [InlineData(GgmlType.Q4_K, 1)]
    [InlineData(GgmlType.Q4_K, 5)]
    [InlineData(GgmlType.Q8_0, 1)]
    [InlineData(GgmlType.Q6_K, 9)]
    [InlineData(GgmlType.Q5_0, 3)]
    public void ExpertSliceReadsItsRows(GgmlType type, int tokens)
    {
        var random = new TestRandom(output);
        var device = OpenClTestDevice.Shared;
        const int experts = 4, rowsPerExpert = 7;
        int columns = 2 * GgmlTypeTraits.Of(type).BlockSize;
        var weights = new Weights(random, type, experts * rowsPerExpert, columns);
        var x = random.Floats(tokens * columns);
        using var matrix = weights.Upload(device);
        using var xBuffer = device.Upload(x);
        using var yBuffer = device.Allocate(tokens * rowsPerExpert + 3);
        foreach (int expert in new[] { 2, 3 })
        {
            device.Linear(matrix.Expert(expert, rowsPerExpert), xBuffer.All, tokens, yBuffer.Slice(3, tokens * rowsPerExpert));
            var y = device.ReadAll(yBuffer);
            Assert.Equal([0f, 0f, 0f], y[..3]);
            weights.Check(x, tokens, expert * rowsPerExpert, rowsPerExpert, y.AsSpan(3), $"{type} expert {expert}, {random}");
        }
    }

    [OpenClTheory]
    [InlineData(1)]
    [InlineData(3)]
    public void LinearSharedComputesEveryTarget(int tokens)
    {
        var random = new TestRandom(output);
        var device = OpenClTestDevice.Shared;
        const int columns = 512;
        var q = new Weights(random, GgmlType.Q4_K, 33, columns);
        var k = new Weights(random, GgmlType.Q8_0, 9, columns);
        var v = new Weights(random, GgmlType.Q3_K, 9, columns);
        var x = random.Floats(tokens * columns);
        using var qm = q.Upload(device);
        using var km = k.Upload(device);
        using var vm = v.Upload(device);
        using var xBuffer = device.Upload(x);
        using var qy = device.Allocate(tokens * 33);
        using var ky = device.Allocate(tokens * 9);
        using var vy = device.Allocate(tokens * 9);
        device.LinearShared(xBuffer.All, tokens, [new LinearTarget(qm, qy.All), new LinearTarget(km, ky.All), new LinearTarget(vm, vy.All)]);
        q.Check(x, tokens, 0, 33, device.ReadAll(qy), $"q, {random}");
        k.Check(x, tokens, 0, 9, device.ReadAll(ky), $"k, {random}");
        v.Check(x, tokens, 0, 9, device.ReadAll(vy), $"v, {random}");
    }

    [OpenClTheory]
    [InlineData(1)]
    [InlineData(6)]
    public void LinearToHostWritesLogits(int tokens)
    {
        var random = new TestRandom(output);
        var device = OpenClTestDevice.Shared;
        const int columns = 256, rows = 1001;
        var head = new Weights(random, GgmlType.Q6_K, rows, columns);
        var x = random.Floats(tokens * columns);
        using var matrix = head.Upload(device);
        using var xBuffer = device.Upload(x);
        var logits = new float[tokens * rows];
        device.LinearToHost(matrix, xBuffer.All, tokens, logits);
        head.Check(x, tokens, 0, rows, logits, $"output head, {random}");
    }

    [OpenClFact]
    public void NativeTypesStayConvertedTypesBecomeF32()
    {
        var device = OpenClTestDevice.Shared;
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K })
        {
            Assert.True(device.Supports(DeviceOp.MatVec, type));
            Assert.True(device.Supports(DeviceOp.MatMul, type));
            Assert.True(device.Supports(DeviceOp.MoeExperts, type));
            Assert.Equal(type, device.StoredType(type));
        }
        foreach (var type in new[] { GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K, GgmlType.IQ4_NL, GgmlType.BF16 })
        {
            Assert.False(device.Supports(DeviceOp.MatVec, type));
            Assert.Equal(GgmlType.F32, device.StoredType(type));
        }
        Assert.True(device.Supports(DeviceOp.Attention, GgmlType.Q5_0));
        Assert.True(device.Supports(DeviceOp.RmsNorm, GgmlType.F32));
    }

    [OpenClFact]
    public void EveryDequantizableTypeUploads()
    {
        var random = new TestRandom(output);
        var device = OpenClTestDevice.Shared;
        foreach (var traits in GgmlTypeTraits.All.Where(t => Quantization.CanDequantize(t.Type)))
        {
            var weights = new Weights(random, traits.Type, 3, Math.Max(traits.BlockSize, 32));
            var x = random.Floats(weights.Columns);
            using var matrix = weights.Upload(device);
            using var xBuffer = device.Upload(x);
            using var y = device.Allocate(3);
            device.Linear(matrix, xBuffer.All, 1, y.All);
            weights.Check(x, 1, 0, 3, device.ReadAll(y), $"{traits.Name}, {random}");
        }
    }

    [OpenClFact]
    public void UnknownTypesAndForeignBuffersAreRejected()
    {
        var device = OpenClTestDevice.Shared;
        var dummy = new byte[66];
        Assert.Throws<NotSupportedException>(() =>
        {
            fixed (byte* p = dummy)
                device.UploadMatrix("iq2", GgmlType.IQ2_XXS, p, 1, 256);
        });
        using var cpuPool = new Kernels.Threading.KernelThreadPool(1);
        using var cpu = new Devices.Cpu.CpuDevice(cpuPool);
        using var foreign = cpu.Allocate(32);
        using var y = device.Allocate(1);
        var weights = new Weights(new TestRandom(), GgmlType.Q8_0, 1, 32);
        using var matrix = weights.Upload(device);
        Assert.Throws<ArgumentException>(() => device.Linear(matrix, foreign.All, 1, y.All));
        using var shortX = device.Allocate(16);
        Assert.Throws<ArgumentException>(() => device.Linear(matrix, shortX.All, 1, y.All));
        Assert.False(device.Failed);
    }
}
