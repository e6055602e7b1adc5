using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.Panel;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The int8 panel's 512-bit pair tile (<see cref="Int8PanelPairTile"/>, machine code) gives two groups exactly what the
/// 256-bit tile gives each, bit for bit; which types take it.
/// </summary>
public sealed unsafe class Int8PanelPairTileTests
{
    public static TheoryData<GgmlType> PanelTypes => new()
    {
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_0, GgmlType.IQ4_NL,
    };

    [PairTileTheory]
    [MemberData(nameof(PanelTypes))]
    public void Two_groups_at_once_equal_each_group_on_its_own(GgmlType type)
    {
        var kernel = QuantKernels.Get(type);
        Assert.True(kernel.PanelPairTile != null, $"{type} does not take the pair tile");
        var random = new TestRandom();
        const int tokens = 8, rows = 16;
        foreach (int blocks in new[] { 1, 3, 8 })
        {
            int k = blocks * kernel.BlockSize, subBlocks = k / PanelRecords.ValuesPerRecord;
            var weights = new QuantizedRows(type, kernel.ActivationType, k, rows, random);
            long activationBytes = PanelActivations.RowBytes(k);
            var activations = new byte[tokens * activationBytes];
            var quantized = new byte[kernel.ActivationRowBytes(k)];
            var records = new byte[2 * subBlocks * PanelRecords.RecordBytes];
            var single = new float[tokens * rows];
            var paired = new float[tokens * rows];
            var x = random.Floats(tokens * k);
            fixed (float* xs = x)
            fixed (byte* q = quantized)
            fixed (byte* a = activations)
            fixed (byte* w = weights.Weights)
            fixed (byte* r = records)
            fixed (float* ys = single)
            fixed (float* yp = paired)
            {
                for (int t = 0; t < tokens; t++)
                {
                    kernel.QuantizeActivations(xs + t * k, k, q);
                    PanelActivations.Convert(kernel.ActivationType, q, k, a + t * activationBytes, kernel.PanelSignedActivations);
                }
                long rowBytes = kernel.WeightRowBytes(k);
                byte* second = r + subBlocks * PanelRecords.RecordBytes;
                kernel.PanelRepack(w, (nint)rowBytes, 8, k, r);
                kernel.PanelRepack(w + 8 * rowBytes, (nint)rowBytes, 8, k, second);
                kernel.PanelTile(r, subBlocks, a, (nint)activationBytes, ys, rows, tokens);
                kernel.PanelTile(second, subBlocks, a, (nint)activationBytes, ys + 8, rows, tokens);
                kernel.PanelPairTile(r, second, subBlocks, a, (nint)activationBytes, yp, yp + 8, rows);
            }
            for (int i = 0; i < single.Length; i++)
                Assert.True(BitConverter.SingleToUInt32Bits(single[i]) == BitConverter.SingleToUInt32Bits(paired[i]),
                    $"{type} k={k} token {i / rows} row {i % rows}: {paired[i]} vs {single[i]} ({random})");
        }
    }
}

/// <summary>Runs only where <see cref="Int8PanelPairTile"/> can run (AVX512-VNNI with AVX-512 and AVX-VNNI on in the
/// runtime, Linux x86-64), and says so otherwise.</summary>
public sealed class PairTileTheoryAttribute : TheoryAttribute
{
    public PairTileTheoryAttribute()
    {
        if (!Int8PanelPairTile.IsSupported)
            Skip = "512-bit VNNI does not run here (no AVX512-VNNI, AVX-512 or AVX-VNNI off in the runtime, or no executable pages)";
    }
}
