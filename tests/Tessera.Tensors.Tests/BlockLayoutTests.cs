using System.Runtime.CompilerServices;
using Tessera.Tensors.Quants;

namespace Tessera.Tensors.Tests;

public class BlockLayoutTests
{
    [Fact]
    public void Block_structs_have_the_format_sizes()
    {
        AssertBlock<BlockQ4_0>();
        AssertBlock<BlockQ4_1>();
        AssertBlock<BlockQ5_0>();
        AssertBlock<BlockQ5_1>();
        AssertBlock<BlockQ8_0>();
        AssertBlock<BlockQ8_1>();
        AssertBlock<BlockQ2_K>();
        AssertBlock<BlockQ3_K>();
        AssertBlock<BlockQ4_K>();
        AssertBlock<BlockQ5_K>();
        AssertBlock<BlockQ6_K>();
        AssertBlock<BlockQ8_K>();
        AssertBlock<BlockIQ4_NL>();
    }

    private static void AssertBlock<TBlock>() where TBlock : unmanaged, IQuantBlock<TBlock>
    {
        var traits = GgmlTypeTraits.Of(TBlock.Type);
        Assert.Equal(traits.BlockBytes, Unsafe.SizeOf<TBlock>());
        Assert.Equal(traits.BlockSize, TBlock.ElementCount);
    }

    [Fact]
    public void Q4_0_low_nibbles_hold_the_first_half()
    {
        var block = new BlockQ4_0 { D = HalfConversion.ToHalf(0.5f) };
        for (int j = 0; j < 16; j++)
            block.Qs[j] = (byte)(j | (15 - j) << 4);
        var y = new float[32];
        Q4_0.DequantizeBlock(block, y);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal(0.5f * (j - 8), y[j]);
            Assert.Equal(0.5f * (7 - j), y[j + 16]);
        }
    }

    [Fact]
    public void Q5_0_high_bits_come_from_the_uint32_in_element_order()
    {
        var block = new BlockQ5_0 { D = HalfConversion.ToHalf(1f), Qh = 0x8000_0001 }; // elements 0 and 31
        var y = new float[32];
        Q5_0.DequantizeBlock(block, y);
        Assert.Equal(0f, y[0]);     // (0 | 16) - 16
        Assert.Equal(0f, y[31]);
        Assert.Equal(-16f, y[1]);
        Assert.Equal(-16f, y[16]);
    }

    [Fact]
    public void Q8_1_stores_d_times_the_sum_of_its_quants()
    {
        var x = new RandomData().Gaussian(32);
        Q8_1.QuantizeBlock(x, out var block);
        int sum = 0;
        for (int j = 0; j < 32; j++)
            sum += block.Qs[j];
        float d = HalfConversion.ToSingle(block.D);
        Assert.Equal(sum * d, HalfConversion.ToSingle(block.S), 0.002f * Math.Max(1f, Math.Abs(sum * d)));

        Q8_0.QuantizeBlock(x, out var q8_0);
        Assert.Equal(q8_0.D, block.D);
        for (int j = 0; j < 32; j++)
            Assert.Equal(q8_0.Qs[j], block.Qs[j]);
    }

    [Fact]
    public void Q8_K_block_sums_add_each_16_quants_and_stay_within_127()
    {
        var random = new RandomData();
        var x = random.Gaussian(256);
        Q8_K.QuantizeBlock(x, out var block);
        for (int g = 0; g < 16; g++)
        {
            int sum = 0;
            for (int j = 0; j < 16; j++)
            {
                sbyte q = block.Qs[g * 16 + j];
                Assert.InRange(q, -127, 127);
                sum += q;
            }
            Assert.Equal(sum, block.BSums[g]);
        }
    }

    [Fact]
    public void IQ4_NL_nearest_index_picks_the_closest_table_level()
    {
        var table = IQ4_NL.Table;
        for (float v = -140f; v <= 140f; v += 0.25f)
        {
            int best = 0;
            for (int i = 1; i < table.Length; i++)
            {
                if (Math.Abs(v - table[i]) < Math.Abs(v - table[best]))
                    best = i;
            }
            Assert.Equal(Math.Abs(v - table[best]), Math.Abs(v - table[IQ4_NL.NearestIndex(v)]));
        }
    }
}
