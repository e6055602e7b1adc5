using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

public sealed unsafe class MatrixKernelTests
{
    public static TheoryData<GgmlType> Types => KernelPaths.Types;

    /// <summary>Y[tokens, rows] in float64 from the dequantized weights and the reference-quantized activations.</summary>
    private static (double[] Expected, double[] Magnitude) Reference(QuantizedRows weights, float[] x, int tokens, int rows)
    {
        var expected = new double[tokens * rows];
        var magnitude = new double[tokens * rows];
        int k = weights.K;
        for (int t = 0; t < tokens; t++)
        {
            var (_, values) = weights.Activation(x.AsSpan(t * k, k).ToArray());
            for (int r = 0; r < rows; r++)
                (expected[t * rows + r], magnitude[t * rows + r]) = weights.Reference(r, values);
        }
        return (expected, magnitude);
    }

    /// <summary>Batches of 2..11 tokens with rows that take the packed decode entries (k = 512): below an entry's
    /// <see cref="Quants.QuantKernel.BatchTokens"/> the matmul runs the packed dot per token, from it the plain entry's
    /// kernels; both match float64.</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public void Small_batches_match_float64_on_either_side_of_the_packed_entry_limit(GgmlType type)
    {
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        const int k = 512, rowCount = 13;
        var weights = new QuantizedRows(type, MatVec.ActivationTypeFor(type), k, rowCount, random);
        Quants.QuantKernels.TryGet(type, out var plain);
        // Q8_0 with AVX-512 has a matmul-only variant that every batch takes; its decode entry (with AVX512-VNNI) is
        // for single tokens only.
        bool variant = Quants.QuantKernels.TryGetMatMulVariant(type, k, out var forBatches);
        bool packed = Quants.QuantKernels.TryGet(type, k, out var decode) && decode.Tile == null && plain.Tile != null;
        for (int tokens = 2; tokens <= 11; tokens++)
        {
            Assert.True(Quants.QuantKernels.TryGetForMatMul(type, k, tokens, out var chosen));
            if (variant)
            {
                Assert.True((nint)chosen.Dot == (nint)forBatches.Dot, $"{type} tokens={tokens}: not the matmul variant");
            }
            else if (packed)
            {
                Assert.InRange(decode.BatchTokens, MatMul.MicroTokens, 10);
                Assert.True((nint)chosen.Dot == (nint)(tokens < decode.BatchTokens ? decode.Dot : plain.Dot), $"{type} tokens={tokens}: the wrong entry");
            }
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            fixed (byte* w = weights.Weights)
                MatMul.Compute(type, w, rowCount, k, x, tokens, y, pool);
            var (expected, magnitude) = Reference(weights, x, tokens, rowCount);
            double tolerance = Tolerances.ForMatMul(type, k, tokens);
            for (int i = 0; i < y.Length; i++)
            {
                double error = Tolerances.Relative(y[i], expected[i], magnitude[i]);
                Assert.True(error <= tolerance, $"{type} rows={rowCount} k={k} tokens={tokens} element {i}: {y[i]} vs {expected[i]} ({random})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Matmul_and_matvec_match_float64_for_random_shapes(GgmlType type)
    {
        var random = new TestRandom();
        int block = Quants.QuantKernels.Get(type).BlockSize == 1 ? 8 : Quants.QuantKernels.Get(type).BlockSize;
        using var pool = new KernelThreadPool(2);
        foreach (var (rowCount, blocks, tokens) in new[] { (1, 1, 1), (7, 3, 5), (33, 2, 9), (65, 5, 1), (17, 8, 70), (3, 1, 4) })
        {
            int k = blocks * block + (block == 8 ? 3 : 0);   // float types also get a ragged length
            var weights = new QuantizedRows(type, MatVec.ActivationTypeFor(type), k, rowCount, random);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            fixed (byte* w = weights.Weights)
                MatMul.Compute(type, w, rowCount, k, x, tokens, y, pool);
            var (expected, magnitude) = Reference(weights, x, tokens, rowCount);
            for (int i = 0; i < y.Length; i++)
            {
                double error = Tolerances.Relative(y[i], expected[i], magnitude[i]);
                Assert.True(error <= Tolerances.ForMatMul(type, k, tokens),
                    $"{type} rows={rowCount} k={k} tokens={tokens} element {i}: {y[i]} vs {expected[i]} ({random})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Threaded_results_are_identical_to_single_threaded(GgmlType type)
    {
        var random = new TestRandom();
        int k = 512;
        int rowCount = 203;    // odd, and not a multiple of any task size
        int tokens = 11;
        var weights = new QuantizedRows(type, MatVec.ActivationTypeFor(type), k, rowCount, random);
        var x = random.Floats(tokens * k);
        using var single = new KernelThreadPool(1);
        using var two = new KernelThreadPool(2);
        using var three = new KernelThreadPool(3);
        fixed (byte* w = weights.Weights)
        {
            var baseline = new float[tokens * rowCount];
            MatMul.Compute(type, w, rowCount, k, x, tokens, baseline, single);
            foreach (var pool in new[] { two, three })
            {
                var y = new float[tokens * rowCount];
                MatMul.Compute(type, w, rowCount, k, x, tokens, y, pool);
                Assert.True(baseline.AsSpan().SequenceEqual(y), $"{type}: matmul on {pool.ThreadCount} threads differs ({random})");
                var yv = new float[rowCount];
                var yvSingle = new float[rowCount];
                MatVec.Compute(type, w, rowCount, k, x.AsSpan(0, k), yv, pool);
                MatVec.Compute(type, w, rowCount, k, x.AsSpan(0, k), yvSingle, single);
                Assert.True(yvSingle.AsSpan().SequenceEqual(yv), $"{type}: matvec on {pool.ThreadCount} threads differs ({random})");
            }
        }
    }

    [Fact]
    public void Matvec_and_matmul_allocate_nothing_on_the_calling_thread()
    {
        var random = new TestRandom();
        const int k = 256, rowCount = 96, tokens = 8;
        var types = new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.F16 };
        using var pool = new KernelThreadPool(2);
        var x = random.Floats(tokens * k);
        var y = new float[tokens * rowCount];
        foreach (var type in types)
        {
            var weights = new QuantizedRows(type, MatVec.ActivationTypeFor(type), k, rowCount, random);
            fixed (byte* w = weights.Weights)
            {
                // Warm up: JIT, scratch growth.
                MatVec.Compute(type, w, rowCount, k, x.AsSpan(0, k), y, pool);
                MatMul.Compute(type, w, rowCount, k, x, tokens, y, pool);
                // The runtime may allocate once on this thread at a moment no warm-up controls (a lock's first
                // contention while other test projects load the cores, a tier-up), so a round of ten calls is
                // repeated up to three times: an allocation per call shows in every round and still fails.
                var perRound = new List<long>();
                for (int round = 0; round < 3 && (perRound.Count == 0 || perRound[^1] != 0); round++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 10; i++)
                    {
                        MatVec.Compute(type, w, rowCount, k, x.AsSpan(0, k), y, pool);
                        MatMul.Compute(type, w, rowCount, k, x, tokens, y, pool);
                    }
                    perRound.Add(GC.GetAllocatedBytesForCurrentThread() - before);
                }
                Assert.True(perRound[^1] == 0, $"{type}: bytes allocated in the matvec/matmul hot path per round of ten calls: {string.Join(", ", perRound)}");
            }
        }
    }

    [Fact]
    public void Shared_input_matvec_equals_separate_matvecs_bit_for_bit()
    {
        var random = new TestRandom();
        const int k = 512;
        // Q4_0 twice (one quantized activation shared), Q8_0 (plain Q8_0 layout) and Q4_K (Q8_K): three layouts in one pass.
        var types = new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K };
        var rowCounts = new[] { 67, 33, 5, 130 };
        var x = random.Floats(k);
        using var pool = new KernelThreadPool(2);
        var matrices = types.Select((type, i) => new QuantizedRows(type, MatVec.ActivationTypeFor(type), k, rowCounts[i], random)).ToArray();
        var handles = matrices.Select(m => System.Runtime.InteropServices.GCHandle.Alloc(m.Weights, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        var separate = rowCounts.Select(r => new float[r]).ToArray();
        var shared = rowCounts.Select(r => new float[r]).ToArray();
        var sharedHandles = shared.Select(y => System.Runtime.InteropServices.GCHandle.Alloc(y, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            var targets = new MatVecTarget[types.Length];
            for (int i = 0; i < types.Length; i++)
            {
                var w = (byte*)handles[i].AddrOfPinnedObject();
                MatVec.Compute(types[i], w, rowCounts[i], k, x, separate[i], pool);
                targets[i] = new MatVecTarget(types[i], w, rowCounts[i], (float*)sharedHandles[i].AddrOfPinnedObject());
            }
            MatVec.ComputeShared(targets, k, x, pool);
            for (int i = 0; i < types.Length; i++)
                Assert.True(separate[i].AsSpan().SequenceEqual(shared[i]), $"matrix {i} ({types[i]}) differs in the shared pass ({random})");
            var tooMany = Enumerable.Repeat(targets[0], MatVec.MaxSharedTargets + 1).ToArray();
            Assert.Throws<ArgumentOutOfRangeException>(() => MatVec.ComputeShared(tooMany, k, x, pool));
        }
        finally
        {
            foreach (var handle in handles.Concat(sharedHandles))
                handle.Free();
        }
    }

    [Fact]
    public void Targets_with_their_own_inputs_equal_separate_matvecs_bit_for_bit()
    {
        // The selected experts of a decode step: each matrix reads its own x, all in one pass; two share one x.
        var random = new TestRandom();
        const int k = 256;
        var types = new[] { GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.F16 };
        var rowCounts = new[] { 41, 7, 66, 13, 29 };
        var inputs = new[] { random.Floats(k), random.Floats(k), random.Floats(k), random.Floats(k) };
        int[] inputOf = [0, 0, 1, 2, 3];
        using var pool = new KernelThreadPool(2);
        var matrices = types.Select((type, i) => new QuantizedRows(type, MatVec.ActivationTypeFor(type), k, rowCounts[i], random)).ToArray();
        var pins = new List<System.Runtime.InteropServices.GCHandle>();
        byte* Pin(Array array)
        {
            var handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
            pins.Add(handle);
            return (byte*)handle.AddrOfPinnedObject();
        }
        try
        {
            var separate = rowCounts.Select(r => new float[r]).ToArray();
            var together = rowCounts.Select(r => new float[r]).ToArray();
            var targets = new MatVecTarget[types.Length];
            for (int i = 0; i < types.Length; i++)
            {
                var w = Pin(matrices[i].Weights);
                MatVec.Compute(types[i], w, rowCounts[i], k, inputs[inputOf[i]], separate[i], pool);
                targets[i] = new MatVecTarget(types[i], w, rowCounts[i], (float*)Pin(together[i]), (float*)Pin(inputs[inputOf[i]]));
            }
            MatVec.ComputeShared(targets, k, ReadOnlySpan<float>.Empty, pool);
            for (int i = 0; i < types.Length; i++)
                Assert.True(separate[i].AsSpan().SequenceEqual(together[i]), $"matrix {i} ({types[i]}) differs in the joint pass ({random})");
        }
        finally
        {
            foreach (var handle in pins)
                handle.Free();
        }
    }

    [Fact]
    public void Bad_arguments_are_rejected_with_the_culprit_named()
    {
        using var pool = new KernelThreadPool(1);
        var weights = new byte[18 * 4];
        fixed (byte* w = weights)
        {
            byte* p = w;
            var e = Assert.Throws<ArgumentException>(() => MatVec.Compute(GgmlType.Q4_0, p, 4, 33, new float[33], new float[4], pool));
            Assert.Equal("k", e.ParamName);
            e = Assert.Throws<ArgumentException>(() => MatVec.Compute(GgmlType.Q4_0, p, 4, 32, new float[31], new float[4], pool));
            Assert.Equal("x", e.ParamName);
            e = Assert.Throws<ArgumentException>(() => MatVec.Compute(GgmlType.Q4_0, p, 4, 32, new float[32], new float[3], pool));
            Assert.Equal("y", e.ParamName);
            Assert.Throws<NotSupportedException>(() => MatVec.Compute(GgmlType.IQ2_XXS, p, 1, 256, new float[256], new float[1], pool));
            Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.Compute(GgmlType.Q4_0, p, 0, 32, new float[32], 1, new float[4], pool));
        }
    }
}
