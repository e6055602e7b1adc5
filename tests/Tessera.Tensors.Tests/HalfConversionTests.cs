using Tessera.Tensors.Quants;

namespace Tessera.Tensors.Tests;

public class HalfConversionTests
{
    [Fact]
    public void Every_half_converts_to_the_same_float_as_System_Half()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = HalfConversion.ToSingle((ushort)bits);
            if (float.IsNaN(expected))
                Assert.True(float.IsNaN(actual), $"half 0x{bits:X4} should be NaN");
            else
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(actual));
        }
    }

    [Fact]
    public void Every_non_NaN_half_survives_a_round_trip()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float value = HalfConversion.ToSingle((ushort)bits);
            if (!float.IsNaN(value))
                Assert.Equal((ushort)bits, HalfConversion.ToHalf(value));
        }
    }

    [Fact]
    public void Midpoints_between_neighbouring_halves_round_to_the_even_one()
    {
        // Every pair of neighbouring finite positive halves (subnormals included) and the first overflow.
        for (ushort low = 0; low < 0x7C00; low++)
        {
            double midpoint = ((double)HalfConversion.ToSingle(low) + HalfConversion.ToSingle((ushort)(low + 1))) / 2;
            ushort even = (low & 1) == 0 ? low : (ushort)(low + 1);
            Assert.Equal(even, HalfConversion.ToHalf((float)midpoint));
            Assert.Equal((ushort)(even | 0x8000), HalfConversion.ToHalf(-(float)midpoint));
        }
    }

    [Fact]
    public void Random_floats_convert_like_System_Half()
    {
        var random = new RandomData();
        for (int i = 0; i < 1_000_000; i++)
        {
            // Exponents concentrated around half's range so subnormals, normals and overflow all occur.
            uint bits = random.NextBits();
            if (i % 2 == 0)
                bits = (bits & 0x807F_FFFF) | (uint)random.Next(96, 145) << 23;
            float value = BitConverter.UInt32BitsToSingle(bits);
            ushort expected = BitConverter.HalfToUInt16Bits((Half)value);
            ushort actual = HalfConversion.ToHalf(value);
            // Messages are built only on failure: this loop runs a million times.
            if (float.IsNaN(value) && !Half.IsNaN(BitConverter.UInt16BitsToHalf(actual)))
                Assert.Fail($"NaN 0x{bits:X8} must stay NaN ({random})");
            if (!float.IsNaN(value) && expected != actual)
                Assert.Fail($"0x{bits:X8} ({value:R}): expected 0x{expected:X4}, got 0x{actual:X4} ({random})");
        }
    }

    [Theory]
    [InlineData(float.PositiveInfinity, (ushort)0x7C00)]
    [InlineData(float.NegativeInfinity, (ushort)0xFC00)]
    [InlineData(65504f, (ushort)0x7BFF)]
    [InlineData(65519.99f, (ushort)0x7BFF)]
    [InlineData(65520f, (ushort)0x7C00)]
    [InlineData(1e10f, (ushort)0x7C00)]
    [InlineData(5.9604645e-8f, (ushort)0x0001)]   // 2^-24, the smallest subnormal
    [InlineData(2.9802322e-8f, (ushort)0x0000)]   // 2^-25, halfway to zero: ties to even (zero)
    [InlineData(2.9802326e-8f, (ushort)0x0001)]   // just above halfway
    [InlineData(-0f, (ushort)0x8000)]
    [InlineData(1e-45f, (ushort)0x0000)]           // float subnormal
    public void Special_values_convert_exactly(float value, ushort expected) =>
        Assert.Equal(expected, HalfConversion.ToHalf(value));

    [Fact]
    public void NaN_stays_NaN_with_its_sign()
    {
        foreach (uint bits in new uint[] { 0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0x7F80_1000 })
        {
            ushort half = HalfConversion.ToHalf(BitConverter.UInt32BitsToSingle(bits));
            Assert.True(Half.IsNaN(BitConverter.UInt16BitsToHalf(half)), $"0x{bits:X8}");
            Assert.Equal(bits >> 31, (uint)half >> 15);
        }
    }

    [Fact]
    public void BF16_is_the_top_half_of_a_float_rounded_to_nearest_even()
    {
        var random = new RandomData();
        for (int i = 0; i < 1_000_000; i++)
        {
            uint bits = random.NextBits();
            float value = BitConverter.UInt32BitsToSingle(bits);
            ushort actual = BF16.FromSingle(value);
            if (float.IsNaN(value) && !float.IsNaN(BF16.ToSingle(actual)))
                Assert.Fail($"NaN 0x{bits:X8} must stay NaN ({random})");
            if (!float.IsNaN(value) && NearestEvenBF16(bits) != actual)
                Assert.Fail($"0x{bits:X8}: expected 0x{NearestEvenBF16(bits):X4}, got 0x{actual:X4} ({random})");
        }
    }

    [Theory]
    [InlineData(0x3F80_8000u, (ushort)0x3F80)]   // tie, even below
    [InlineData(0x3F81_8000u, (ushort)0x3F82)]   // tie, even above
    [InlineData(0x3F80_8001u, (ushort)0x3F81)]
    [InlineData(0x7F7F_FFFFu, (ushort)0x7F80)]   // float max overflows to infinity
    [InlineData(0xFF80_0000u, (ushort)0xFF80)]   // -infinity
    [InlineData(0x0000_8001u, (ushort)0x0001)]   // subnormal rounds up
    public void BF16_special_values(uint bits, ushort expected)
    {
        Assert.Equal(expected, BF16.FromSingle(BitConverter.UInt32BitsToSingle(bits)));
        Assert.Equal(BitConverter.UInt32BitsToSingle((uint)expected << 16), BF16.ToSingle(expected));
    }

    /// <summary>The rule spelled out: of the two bf16 values around the float, the nearer; on a tie the even one.</summary>
    private static ushort NearestEvenBF16(uint bits)
    {
        uint below = bits >> 16, remainder = bits & 0xFFFF;
        bool roundUp = remainder > 0x8000 || (remainder == 0x8000 && (below & 1) == 1);
        return (ushort)(roundUp ? below + 1 : below);
    }
}
