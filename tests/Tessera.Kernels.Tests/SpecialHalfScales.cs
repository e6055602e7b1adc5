using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Panel;

namespace Tessera.Kernels.Tests;

/// <summary>Half scales a vector conversion can get wrong (zeros of either sign, subnormals, the largest finite value,
/// infinities, NaNs with payloads), written into blocks that start with their scale, and the check that repacked
/// records carry them as the conversion table gives them.</summary>
internal static class SpecialHalfScales
{
    public static readonly ushort[] Values = [0x0000, 0x8000, 0x0001, 0x83FF, 0x7C00, 0xFC00, 0x7E01, 0xFDFF, 0x3C00, 0xC555, 0x7BFF, 0x0400];

    /// <summary><paramref name="rows"/> x <paramref name="blocks"/> blocks of random bytes whose scales cycle through
    /// <see cref="Values"/> (block j of row r takes value r * blocks + j).</summary>
    public static byte[] Blocks(int rows, int blocks, int blockBytes, int seed)
    {
        var weights = new byte[rows * blocks * blockBytes];
        new Random(seed).NextBytes(weights);
        for (int i = 0; i < rows * blocks; i++)
            BitConverter.TryWriteBytes(weights.AsSpan(i * blockBytes, 2), Values[i % Values.Length]);
        return weights;
    }

    /// <summary>Every record's scale of row r is the table's float for its block's half, bit for bit.</summary>
    public static void AssertRecordScales(byte[] records, int rows, int blocks, string what)
    {
        for (int j = 0; j < blocks; j++)
        {
            for (int r = 0; r < rows; r++)
            {
                uint got = BitConverter.ToUInt32(records.AsSpan(j * PanelRecords.RecordBytes + PanelRecords.ScaleOffset + 4 * r, 4));
                uint want = BitConverter.SingleToUInt32Bits(HalfBits.ToSingle(Values[(r * blocks + j) % Values.Length]));
                Assert.True(got == want, $"{what} row {r} block {j}: {got:X8}, expected {want:X8}");
            }
        }
    }
}
