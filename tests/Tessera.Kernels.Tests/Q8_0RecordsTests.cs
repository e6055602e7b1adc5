using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.Panel;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// Q8_0's repacking straight from its rows (<see cref="Q8_0Records"/>) writes the records the general repacking
/// (<see cref="PanelRecords"/>, row by row through a stack buffer) writes, byte for byte, and the kernel table takes it.
/// </summary>
public sealed unsafe class Q8_0RecordsTests
{
    [Avx2Fact]
    public void Records_from_the_rows_equal_the_general_paths()
    {
        var random = new TestRandom();
        const int rows = 8;
        foreach (int blocks in new[] { 1, 3, 7 })
        {
            int k = blocks * 32;
            var weights = new QuantizedRows(GgmlType.Q8_0, GgmlType.Q8_0, k, rows, random);
            // Rows an odd number of bytes apart.
            var (strided, stride) = weights.Strided(5);
            foreach (int validRows in new[] { rows, 5 })
                AssertSameRecords(strided, stride, validRows, k, $"k={k} rows={validRows} ({random})");
        }
    }

    /// <summary>The scales convert eight at a time: the same floats as the general path's table for zeros of either
    /// sign, subnormals, infinities and NaNs with their payloads.</summary>
    [Avx2Fact]
    public void Scales_converted_together_equal_the_general_paths_special_values_included()
    {
        const int rows = 8, blocks = 3;
        var weights = SpecialHalfScales.Blocks(rows, blocks, Q8_0Activations.BlockBytes, seed: 11);
        var actual = AssertSameRecords(weights, blocks * Q8_0Activations.BlockBytes, rows, blocks * 32, "special scales");
        SpecialHalfScales.AssertRecordScales(actual, rows, blocks, "Q8_0");
    }

    [Avx2Fact]
    public void The_kernel_table_repacks_Q8_0_from_its_rows()
    {
        delegate*<byte*, nint, int, int, byte*, void> repack = &Q8_0Records.Repack;
        Assert.True((nint)QuantKernels.Get(GgmlType.Q8_0).PanelRepack == (nint)repack);
    }

    private static byte[] AssertSameRecords(byte[] weights, int stride, int validRows, int k, string what)
    {
        int recordBytes = k / PanelRecords.ValuesPerRecord * PanelRecords.RecordBytes;
        var expected = new byte[recordBytes];
        var actual = new byte[recordBytes];
        expected.AsSpan().Fill(0xA5);
        actual.AsSpan().Fill(0xA5);
        fixed (byte* w = weights)
        fixed (byte* e = expected)
        fixed (byte* a = actual)
        {
            PanelRecords.Repack<Q8_0PanelBlocks>(w, stride, validRows, k, e);
            Q8_0Records.Repack(w, stride, validRows, k, a);
        }
        int at = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(at == recordBytes, $"{what}: record {at / PanelRecords.RecordBytes} byte {at % PanelRecords.RecordBytes} differs");
        return actual;
    }
}
