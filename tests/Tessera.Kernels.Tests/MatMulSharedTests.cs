using System.Runtime.InteropServices;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// <see cref="MatMul.ComputeShared"/>: several products over one input (q/k/v, gate/up) in one pass where their kernels
/// allow (float panels packed once; int8 panels over activations quantized once), one at a time where not. Each
/// product must come out exactly as on its own, under both dispatches.
/// </summary>
public sealed unsafe class MatMulSharedTests
{
    public static TheoryData<GgmlType[], int> SharedSets => new()
    {
        { new[] { GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q4_K }, 33 },        // Q4_K_M's q/k/v: one shared pass (Q8_K)
        { new[] { GgmlType.Q4_0, GgmlType.IQ4_NL }, 33 },                     // Q8_0 activations; shared where both take the same form
        { new[] { GgmlType.Q8_0, GgmlType.Q4_0 }, 33 },                       // shared with VNNI; AVX2 without it: signed and q + 128, one at a time
        { new[] { GgmlType.Q4_0, GgmlType.Q4_K }, 33 },                       // different activation blocks: one at a time
        { new[] { GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q5_K, GgmlType.Q4_K }, 33 },
        { new[] { GgmlType.F16, GgmlType.F32, GgmlType.BF16 }, 33 },          // float panels packed once with AVX-512 (BF16 apart where it takes BF16 pairs); AVX2-only, F16 takes row triples, BF16 row panels, and all go one at a time
        { new[] { GgmlType.F16, GgmlType.F16, GgmlType.F16 }, 33 },           // an F16 model's q/k/v: one pass (row triples AVX2-only at these 33 tokens, float panels with AVX-512)
        { new[] { GgmlType.BF16, GgmlType.BF16, GgmlType.BF16 }, 33 },        // BF16 pair panels with AVX512-BF16, float panels with AVX-512 only, row panels AVX2-only
        { new[] { GgmlType.F16, GgmlType.BF16 }, 48 },                        // AVX2-only, both row panels at 48 tokens (past the F16 row triples): one pass, each with its own tile and slot order
        { new[] { GgmlType.F16, GgmlType.Q4_0 }, 33 },                        // float and int8: one at a time
    };

    [Theory]
    [MemberData(nameof(SharedSets))]
    public void Shared_pass_gives_each_product_exactly_its_own_result(GgmlType[] types, int tokens)
    {
        // Without AVX2 there are no panels: ComputeShared runs the products one at a time, and this still holds.
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        const int k = 512;
        int[] rowCounts = [13, 40, 8, 21];
        var x = random.Floats(tokens * k);
        var weights = new byte[types.Length][];
        var separate = new float[types.Length][];
        var shared = new float[types.Length][];
        for (int i = 0; i < types.Length; i++)
        {
            weights[i] = new QuantizedRows(types[i], QuantKernels.Get(types[i]).ActivationType, k, rowCounts[i], random).Weights;
            separate[i] = new float[tokens * rowCounts[i]];
            shared[i] = new float[tokens * rowCounts[i]];
            fixed (byte* w = weights[i])
                MatMul.Compute(types[i], w, rowCounts[i], k, x, tokens, separate[i], pool);
        }
        var handles = new List<GCHandle>();
        try
        {
            var targets = new MatVecTarget[types.Length];
            for (int i = 0; i < types.Length; i++)
            {
                var w = GCHandle.Alloc(weights[i], GCHandleType.Pinned);
                var y = GCHandle.Alloc(shared[i], GCHandleType.Pinned);
                handles.Add(w);
                handles.Add(y);
                targets[i] = new MatVecTarget(types[i], (byte*)w.AddrOfPinnedObject(), rowCounts[i], (float*)y.AddrOfPinnedObject());
            }
            MatMul.ComputeShared(targets, k, x, tokens, pool);
        }
        finally
        {
            foreach (var handle in handles)
                handle.Free();
        }
        // The same tiles over the same activations, each product's rows split as on its own: bit for bit the same.
        for (int i = 0; i < types.Length; i++)
            Assert.True(separate[i].AsSpan().SequenceEqual(shared[i]), $"{types[i]} (product {i}) differs in the shared pass ({random})");
    }

}
