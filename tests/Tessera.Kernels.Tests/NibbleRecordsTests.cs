using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Quants;
using Tessera.Kernels.Quants.IQ4_NL;
using Tessera.Kernels.Quants.Panel;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Kernels.Quants.Q4_1;
using Tessera.Kernels.Quants.Q4_K;
using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The 4-bit types' repacking from packed nibbles (<see cref="NibbleRecords"/>) writes the records the general
/// repacking (<see cref="PanelRecords"/>, which decodes each row first) writes, byte for byte, and the kernel table
/// takes it for those types.
/// </summary>
public sealed unsafe class NibbleRecordsTests
{
    public static TheoryData<GgmlType> NibbleTypes => new() { GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.IQ4_NL, GgmlType.Q4_K };

    [Avx2Theory]
    [MemberData(nameof(NibbleTypes))]
    public void Records_from_packed_nibbles_equal_records_from_decoded_rows(GgmlType type)
    {
        var kernel = QuantKernels.Get(type);
        var random = new TestRandom();
        const int rows = 8;
        foreach (int blocks in new[] { 1, 3, 7 })
        {
            int k = blocks * kernel.BlockSize;
            var weights = new QuantizedRows(type, kernel.ActivationType, k, rows, random);
            // Rows an odd number of bytes apart.
            var (strided, stride) = weights.Strided(5);
            foreach (int validRows in new[] { rows, 5 })
            {
                int recordBytes = k / PanelRecords.ValuesPerRecord * PanelRecords.RecordBytes;
                var expected = new byte[recordBytes];
                var actual = new byte[recordBytes];
                expected.AsSpan().Fill(0xA5);
                actual.AsSpan().Fill(0xA5);
                fixed (byte* w = strided)
                fixed (byte* e = expected)
                fixed (byte* a = actual)
                {
                    Repack(type, general: true, w, stride, validRows, k, e);
                    Repack(type, general: false, w, stride, validRows, k, a);
                }
                int at = expected.AsSpan().CommonPrefixLength(actual);
                Assert.True(at == recordBytes, $"{type} k={k} rows={validRows}: record {at / PanelRecords.RecordBytes} byte {at % PanelRecords.RecordBytes} differs ({random})");
            }
        }
    }

    /// <summary>Q4_0's and IQ4_NL's scales are converted eight rows at a time: the same floats as the general path's
    /// table, for zeros of either sign, subnormals, infinities and NaNs with their payloads as well.</summary>
    [Avx2Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.IQ4_NL)]
    public void Scales_converted_together_equal_the_general_paths_special_values_included(GgmlType type)
    {
        const int rows = 8, blocks = 3, blockBytes = 18;
        int k = blocks * 32;
        var weights = SpecialHalfScales.Blocks(rows, blocks, blockBytes, seed: 7);
        int recordBytes = blocks * PanelRecords.RecordBytes;
        var expected = new byte[recordBytes];
        var actual = new byte[recordBytes];
        fixed (byte* w = weights)
        fixed (byte* e = expected)
        fixed (byte* a = actual)
        {
            Repack(type, general: true, w, blocks * blockBytes, rows, k, e);
            Repack(type, general: false, w, blocks * blockBytes, rows, k, a);
        }
        SpecialHalfScales.AssertRecordScales(actual, rows, blocks, type.ToString());
        Assert.Equal(expected, actual);
    }

    [Avx2Fact]
    public void The_kernel_table_repacks_the_nibble_types_from_their_packed_bytes()
    {
        delegate*<byte*, nint, int, int, byte*, void> q4_0 = &NibbleRecords.Repack<Q4_0PanelBlocks>;
        delegate*<byte*, nint, int, int, byte*, void> q4_1 = &NibbleRecords.Repack<Q4_1PanelBlocks>;
        delegate*<byte*, nint, int, int, byte*, void> iq4_nl = &NibbleRecords.Repack<IQ4_NLPanelBlocks>;
        delegate*<byte*, nint, int, int, byte*, void> q4_k = &NibbleRecords.Repack<Q4_KPanelBlocks>;
        Assert.True((nint)QuantKernels.Get(GgmlType.Q4_0).PanelRepack == (nint)q4_0);
        Assert.True((nint)QuantKernels.Get(GgmlType.Q4_1).PanelRepack == (nint)q4_1);
        // IQ4_NL's panel needs AVX-VNNI, or AVX2 for its signed form: either way it runs where AVX2 does.
        Assert.True((nint)QuantKernels.Get(GgmlType.IQ4_NL).PanelRepack == (nint)iq4_nl);
        Assert.True((nint)QuantKernels.Get(GgmlType.Q4_K).PanelRepack == (nint)q4_k);
    }

    private static void Repack(GgmlType type, bool general, byte* rows, int stride, int validRows, int k, byte* destination)
    {
        switch (type, general)
        {
            case (GgmlType.Q4_0, true): PanelRecords.Repack<Q4_0PanelBlocks>(rows, stride, validRows, k, destination); break;
            case (GgmlType.Q4_0, false): NibbleRecords.Repack<Q4_0PanelBlocks>(rows, stride, validRows, k, destination); break;
            case (GgmlType.Q4_1, true): PanelRecords.Repack<Q4_1PanelBlocks>(rows, stride, validRows, k, destination); break;
            case (GgmlType.Q4_1, false): NibbleRecords.Repack<Q4_1PanelBlocks>(rows, stride, validRows, k, destination); break;
            case (GgmlType.IQ4_NL, true): PanelRecords.Repack<IQ4_NLPanelBlocks>(rows, stride, validRows, k, destination); break;
            case (GgmlType.IQ4_NL, false): NibbleRecords.Repack<IQ4_NLPanelBlocks>(rows, stride, validRows, k, destination); break;
            case (GgmlType.Q4_K, true): PanelRecords.Repack<Q4_KPanelBlocks>(rows, stride, validRows, k, destination); break;
            case (GgmlType.Q4_K, false): NibbleRecords.Repack<Q4_KPanelBlocks>(rows, stride, validRows, k, destination); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }
}

/// <summary>Runs only where the CPU and the runtime have AVX2 (the panel matmul's floor), and says so otherwise.</summary>
public sealed class Avx2TheoryAttribute : TheoryAttribute
{
    public Avx2TheoryAttribute()
    {
        if (!Avx2.IsSupported)
            Skip = "AVX2 does not run here (the CPU lacks it or the runtime has it off)";
    }
}

/// <inheritdoc cref="Avx2TheoryAttribute"/>
public sealed class Avx2FactAttribute : FactAttribute
{
    public Avx2FactAttribute()
    {
        if (!Avx2.IsSupported)
            Skip = "AVX2 does not run here (the CPU lacks it or the runtime has it off)";
    }
}
