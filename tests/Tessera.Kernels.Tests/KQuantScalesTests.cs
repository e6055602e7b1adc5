using System.Runtime.Intrinsics;
using Tessera.Kernels.Quants;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The 12-byte scale and min field of Q4_K and Q5_K: the AVX2 dots' one-vector decode
/// (<see cref="KQuantScales.DecodePackedVector"/>) against the scalar reference (<see cref="KQuantScales.Decode"/>),
/// byte for byte, on fresh random fields and on the fields whose top bits are all set or all clear.
/// </summary>
public sealed unsafe class KQuantScalesTests
{
    [Avx2Fact]
    public void Vector_decode_matches_the_scalar_decode()
    {
        var random = new TestRandom();
        // 16 bytes: the field and the 4 bytes after it, which the vector decode loads and must ignore.
        var field = new byte[16];
        int* scales = stackalloc int[KQuantScales.SubBlocks];
        int* mins = stackalloc int[KQuantScales.SubBlocks];
        for (int trial = 0; trial < 2000; trial++)
        {
            for (int i = 0; i < field.Length; i++)
                field[i] = trial switch { 0 => 0x00, 1 => 0xFF, _ => (byte)random.Next(0, 256) };
            fixed (byte* packed = field)
            {
                KQuantScales.Decode(packed, scales, mins);
                var decoded = KQuantScales.DecodePackedVector(packed);
                for (int j = 0; j < KQuantScales.SubBlocks; j++)
                {
                    Assert.True(decoded.GetElement(j) == scales[j],
                        $"scale {j}: {decoded.GetElement(j)} vs {scales[j]}, field {Convert.ToHexString(field)} (seed {random.Seed})");
                    Assert.True(decoded.GetElement(KQuantScales.SubBlocks + j) == mins[j],
                        $"min {j}: {decoded.GetElement(KQuantScales.SubBlocks + j)} vs {mins[j]}, field {Convert.ToHexString(field)} (seed {random.Seed})");
                }
            }
        }
    }
}
