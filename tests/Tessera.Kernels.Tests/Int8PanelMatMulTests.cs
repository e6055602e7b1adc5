using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Threading;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The int8 panel matmul (<see cref="Int8PanelMatMul"/>: 8 weight rows repacked per task, 8 tokens per tile, levels
/// against q + 128 with vpmaddubsw, or vpdpbusd where AVX-VNNI exists) against float64 references over the same
/// quantized activations. CI runs these under the AVX-512 dispatch (with VNNI where the CPU has it) and the AVX2-only
/// one (VNNI off), where Q8_0 and IQ4_NL take its sign-trick path over signed activations.
/// </summary>
public sealed unsafe class Int8PanelMatMulTests
{
    public static TheoryData<GgmlType> PanelTypes => new()
    {
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_0, GgmlType.IQ4_NL,
    };

    /// <summary>Whether <paramref name="type"/> takes the panel on this CPU: every panel type with AVX2.</summary>
    private static bool HasPanel(GgmlType type) => IsaSupport.Avx2;

    [Theory]
    [MemberData(nameof(PanelTypes))]
    public void Panel_matmul_matches_float64_on_ragged_shapes(GgmlType type)
    {
        var kernel = QuantKernels.Get(type);
        Assert.Equal(HasPanel(type), Int8PanelMatMul.Applies(kernel, Math.Max(32, kernel.PanelMinTokens)));
        if (!HasPanel(type))
            return;   // MatMul keeps the type's tiles and per-row kernels, covered by MatrixKernelTests
        Assert.False(Int8PanelMatMul.Applies(kernel, kernel.PanelMinTokens - 1));
        var random = new TestRandom();
        using var pool = new KernelThreadPool(2);
        int block = kernel.BlockSize;
        // Rows off the 8-row group, tokens off the 8-token tile, below and above it; several blocks per row. Called
        // directly, so batches below the type's threshold are covered too.
        foreach (var (rowCount, blocks, tokens) in new[] { (13, 1, 32), (24, 2, 5), (203, 3, 33), (8, 2, 70), (1, 1, 39), (65, 5, 47), (40, 2, 231) })
        {
            int k = blocks * block;
            var weights = new QuantizedRows(type, kernel.ActivationType, k, rowCount, random);
            var x = random.Floats(tokens * k);
            var y = new float[tokens * rowCount];
            fixed (byte* w = weights.Weights)
            fixed (float* xs = x)
            fixed (float* ys = y)
                Int8PanelMatMul.Compute(kernel, w, rowCount, k, xs, tokens, ys, pool);
            AssertMatchesReference(weights, x, tokens, y, $"{type} rows={rowCount} k={k} tokens={tokens} ({random})");
        }
    }

    [Theory]
    [MemberData(nameof(PanelTypes))]
    public void Extreme_levels_and_activations_do_not_saturate(GgmlType type)
    {
        // Every level at its most negative or most positive value against activations at full scale (q = +127, so
        // q + 128 = 255): the int16 sums of the kernel reach their largest magnitudes (32640) here, never in random
        // data. Q8_K maps a block's first largest value to -127 whatever its sign, so that one has the other sign.
        if (!HasPanel(type))
            return;
        var kernel = QuantKernels.Get(type);
        using var pool = new KernelThreadPool(2);
        // Enough tokens that MatMul takes the panel (Q2_K's dots serve batches below 128).
        int k = 2 * kernel.BlockSize, rowCount = 16, tokens = Math.Max(32, kernel.PanelMinTokens);
        int rowBytes = (int)kernel.WeightRowBytes(k);
        var bytes = new byte[rowBytes * rowCount];
        for (int r = 0; r < rowCount; r++)
            ExtremeRow(type, bytes.AsSpan(r * rowBytes, rowBytes), lowest: r % 2 == 0);
        var weights = new QuantizedRows(type, kernel.ActivationType, k, bytes);
        var x = new float[tokens * k];
        for (int t = 0; t < tokens; t++)
        {
            float sign = t % 2 == 0 ? 1 : -1;
            for (int i = 0; i < k; i++)
                x[t * k + i] = sign * (i % 256 == 0 ? -3.5f : 3.5f);
        }
        var y = new float[tokens * rowCount];
        fixed (byte* w = weights.Weights)
            MatMul.Compute(type, w, rowCount, k, x, tokens, y, pool);
        AssertMatchesReference(weights, x, tokens, y, $"{type} extremes");
    }

    [Theory]
    [MemberData(nameof(PanelTypes))]
    public void Panel_matmul_writes_only_its_outputs(GgmlType type)
    {
        if (!HasPanel(type))
            return;
        var random = new TestRandom();
        var kernel = QuantKernels.Get(type);
        using var pool = new KernelThreadPool(2);
        int rowCount = 11, k = kernel.BlockSize, tokens = 35;
        var weights = new QuantizedRows(type, kernel.ActivationType, k, rowCount, random);
        var x = random.Floats(tokens * k);
        // y is longer than tokens x rows: the padding rows and tokens of the last tiles must not reach past it.
        var y = GuardedOutputs.Create(tokens * rowCount);
        fixed (byte* w = weights.Weights)
            MatMul.Compute(type, w, rowCount, k, x, tokens, y, pool);
        GuardedOutputs.AssertOnlyOutputsWritten(y, tokens * rowCount);
    }

    private static void AssertMatchesReference(QuantizedRows weights, float[] x, int tokens, float[] y, string what)
    {
        int k = weights.K, rowCount = y.Length / tokens;
        for (int t = 0; t < tokens; t++)
        {
            var (_, values) = weights.Activation(x.AsSpan(t * k, k).ToArray());
            for (int r = 0; r < rowCount; r++)
            {
                var (expected, magnitude) = weights.Reference(r, values);
                double error = Tolerances.Relative(y[t * rowCount + r], expected, magnitude);
                // Exact integer products and float scales (s = d Σq recomputed, not Q8_1's half): the tight tolerance.
                Assert.True(error <= Tolerances.VsDequantized(GgmlType.Q8_0),
                    $"{what} token {t} row {r}: {y[t * rowCount + r]} vs {expected}");
            }
        }
    }

    /// <summary>A row whose every level is the type's lowest (or highest), with scale 1 (and minimum 0).</summary>
    private static void ExtremeRow(GgmlType type, Span<byte> row, bool lowest)
    {
        const ushort one = 0x3C00;   // 1.0 as a half
        switch (type)
        {
            case GgmlType.Q4_0:
                for (int b = 0; b < row.Length / 18; b++)
                {
                    var block = row.Slice(18 * b, 18);
                    BitConverter.TryWriteBytes(block, one);
                    block[2..].Fill(lowest ? (byte)0x00 : (byte)0xFF);
                }
                break;
            case GgmlType.Q4_1:
                for (int b = 0; b < row.Length / 20; b++)
                {
                    var block = row.Slice(20 * b, 20);
                    BitConverter.TryWriteBytes(block, one);                 // d
                    BitConverter.TryWriteBytes(block[2..], (ushort)0);      // m
                    block[4..].Fill(lowest ? (byte)0x00 : (byte)0xFF);
                }
                break;
            case GgmlType.Q5_0:
                for (int b = 0; b < row.Length / 22; b++)
                {
                    var block = row.Slice(22 * b, 22);
                    BitConverter.TryWriteBytes(block, one);
                    block[2..].Fill(lowest ? (byte)0x00 : (byte)0xFF);     // fifth bits and nibbles: level 0 or 31
                }
                break;
            case GgmlType.Q5_1:
                for (int b = 0; b < row.Length / 24; b++)
                {
                    var block = row.Slice(24 * b, 24);
                    BitConverter.TryWriteBytes(block, one);
                    BitConverter.TryWriteBytes(block[2..], (ushort)0);
                    block[4..].Fill(lowest ? (byte)0x00 : (byte)0xFF);
                }
                break;
            case GgmlType.Q5_K:
                for (int b = 0; b < row.Length / 176; b++)
                {
                    var block = row.Slice(176 * b, 176);
                    BitConverter.TryWriteBytes(block, one);
                    BitConverter.TryWriteBytes(block[2..], (ushort)0);
                    block.Slice(4, 12).Fill(0x01);
                    block[16..].Fill(lowest ? (byte)0x00 : (byte)0xFF);    // fifth bits and nibbles
                }
                break;
            case GgmlType.Q2_K:
                for (int b = 0; b < row.Length / 84; b++)
                {
                    var block = row.Slice(84 * b, 84);
                    // Scale 1 in every group, minimum 1 in the first halves and 3 in the second, levels 0 or 3, d 1
                    // and dmin 1: the per-half offsets meet the largest activation sums.
                    for (int g = 0; g < 16; g++)
                        block[g] = g % 2 == 0 ? (byte)0x11 : (byte)0x31;
                    block.Slice(16, 64).Fill(lowest ? (byte)0x00 : (byte)0xFF);
                    BitConverter.TryWriteBytes(block[80..], one);
                    BitConverter.TryWriteBytes(block[82..], one);
                }
                break;
            case GgmlType.Q3_K:
                for (int b = 0; b < row.Length / 110; b++)
                {
                    var block = row.Slice(110 * b, 110);
                    block[..96].Fill(lowest ? (byte)0x00 : (byte)0xFF);    // hmask and 2-bit quants: level -4 or 3
                    block.Slice(96, 8).Fill(0x11);                          // codes 33 (scale 1): low 4 bits 1 ...
                    block.Slice(104, 4).Fill(0xAA);                         // ... high 2 bits 2
                    BitConverter.TryWriteBytes(block[108..], one);
                }
                break;
            case GgmlType.Q4_K:
                for (int b = 0; b < row.Length / 144; b++)
                {
                    var block = row.Slice(144 * b, 144);
                    BitConverter.TryWriteBytes(block, one);                 // d
                    BitConverter.TryWriteBytes(block[2..], (ushort)0);      // dmin
                    block.Slice(4, 12).Fill(0x01);                          // scale 1, min 1 (times dmin 0)
                    block[16..].Fill(lowest ? (byte)0x00 : (byte)0xFF);
                }
                break;
            case GgmlType.Q6_K:
                for (int b = 0; b < row.Length / 210; b++)
                {
                    var block = row.Slice(210 * b, 210);
                    block[..192].Fill(lowest ? (byte)0x00 : (byte)0xFF);   // levels 0 or 63: -32 or 31
                    block.Slice(192, 16).Fill(1);
                    BitConverter.TryWriteBytes(block[208..], one);
                }
                break;
            case GgmlType.Q8_0:
                for (int b = 0; b < row.Length / 34; b++)
                {
                    var block = row.Slice(34 * b, 34);
                    BitConverter.TryWriteBytes(block, one);
                    block[2..].Fill(lowest ? unchecked((byte)-127) : (byte)127);
                }
                break;
            case GgmlType.IQ4_NL:
                for (int b = 0; b < row.Length / 18; b++)
                {
                    var block = row.Slice(18 * b, 18);
                    BitConverter.TryWriteBytes(block, one);
                    block[2..].Fill(lowest ? (byte)0x00 : (byte)0xFF);     // table levels -127 or 113
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }
}
