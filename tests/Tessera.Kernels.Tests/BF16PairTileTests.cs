using Tessera.Kernels.Quants.BF16;
using BFloat16 = Tessera.Tensors.Quants.BF16;

namespace Tessera.Kernels.Tests;

/// <summary>
/// The BF16 prompt tile (<see cref="BF16PairTile"/>, <c>vdpbf16ps</c> as machine code) against its scalar reference,
/// and its activation panels against <see cref="BFloat16.FromSingle"/> (its bytes: <see cref="MachineCodeTests"/>).
/// </summary>
public sealed unsafe class BF16PairTileTests
{
    [Avx512Bf16Fact]
    public void Tile_matches_the_scalar_reference_on_random_rows()
    {
        var random = new TestRandom();
        // One pair, odd counts, and rows with slack after them (the stride is not 2 x 2 x pairs).
        foreach (var (pairs, slack) in new[] { (1, 0), (3, 5), (17, 0), (64, 1), (255, 32), (1024, 0) })
        {
            int rowValues = 2 * pairs + slack;
            var weights = random.Floats(BF16PairTile.Rows * rowValues).Select(BFloat16.FromSingle).ToArray();
            var x = random.Floats(BF16PairTile.Width * 2 * pairs);
            var panel = new uint[pairs * BF16PairTile.Width];
            var got = new float[BF16PairTile.Rows * BF16PairTile.Width];
            var expected = new float[got.Length];
            fixed (float* xs = x)
            fixed (uint* p = panel)
            fixed (ushort* w = weights)
            fixed (float* c = got)
            fixed (float* e = expected)
            {
                BF16PairPanel.Pack(xs, 2 * pairs, BF16PairTile.Width, 0, p);
                BF16PairTile.Tile(w, rowValues * sizeof(ushort), p, pairs, c);
                BF16PairTile.TileScalar(w, rowValues * sizeof(ushort), p, pairs, e);
            }
            for (int r = 0; r < BF16PairTile.Rows; r++)
            {
                for (int t = 0; t < BF16PairTile.Width; t++)
                {
                    double magnitude = 0;
                    for (int i = 0; i < pairs; i++)
                    {
                        uint pair = panel[i * BF16PairTile.Width + t];
                        magnitude += Math.Abs(BFloat16.ToSingle(weights[r * rowValues + 2 * i]) * BFloat16.ToSingle((ushort)pair))
                            + Math.Abs(BFloat16.ToSingle(weights[r * rowValues + 2 * i + 1]) * BFloat16.ToSingle((ushort)(pair >> 16)));
                    }
                    int at = r * BF16PairTile.Width + t;
                    Assert.True(Tolerances.Relative(got[at], expected[at], magnitude) <= Tolerances.SimdVsScalar,
                        $"pairs={pairs} row {r} token {t}: {got[at]} vs {expected[at]} ({random})");
                }
            }
        }
    }

    [Avx512Bf16Fact]
    public void Tile_spreads_infinities_and_NaNs_as_float_products_do()
    {
        const int pairs = 4;
        var weights = new ushort[BF16PairTile.Rows * 2 * pairs];
        Array.Fill(weights, BFloat16.FromSingle(1f));
        weights[2 * 2 * pairs + 3] = BFloat16.FromSingle(float.PositiveInfinity);   // row 2
        weights[5 * 2 * pairs] = BFloat16.FromSingle(float.NaN);                     // row 5
        var x = new float[BF16PairTile.Width * 2 * pairs];
        Array.Fill(x, 0.5f);
        for (int i = 0; i < 2 * pairs; i++)
            x[7 * 2 * pairs + i] = 0;                                                  // token 7: Inf x 0
        var panel = new uint[pairs * BF16PairTile.Width];
        var c = new float[BF16PairTile.Rows * BF16PairTile.Width];
        fixed (float* xs = x)
        fixed (uint* p = panel)
        fixed (ushort* w = weights)
        fixed (float* cs = c)
        {
            BF16PairPanel.Pack(xs, 2 * pairs, BF16PairTile.Width, 0, p);
            BF16PairTile.Tile(w, 2 * pairs * sizeof(ushort), p, pairs, cs);
        }
        for (int r = 0; r < BF16PairTile.Rows; r++)
        {
            for (int t = 0; t < BF16PairTile.Width; t++)
            {
                float value = c[r * BF16PairTile.Width + t];
                if (r == 5 || (r == 2 && t == 7))
                    Assert.True(float.IsNaN(value), $"row {r} token {t}: {value}");
                else if (r == 2)
                    Assert.Equal(float.PositiveInfinity, value);
                else
                    Assert.Equal(t == 7 ? 0f : pairs, value);
            }
        }
    }

    [Avx512Bf16Fact]
    public void Panels_round_every_value_as_the_scalar_conversion_and_pad_with_zeros()
    {
        var random = new TestRandom();
        // Ties to even either way, values that round up into the next binade or to infinity, NaNs whose rounding
        // would carry into infinity, subnormals and zeros, among random floats.
        float[] specials =
        [
            BitConverter.UInt32BitsToSingle(0x3F80_8000), BitConverter.UInt32BitsToSingle(0x3F81_8000),
            BitConverter.UInt32BitsToSingle(0x3F80_8001), BitConverter.UInt32BitsToSingle(0x3FFF_FFFF),
            float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
            BitConverter.UInt32BitsToSingle(0x7FFF_FFFF), BitConverter.UInt32BitsToSingle(0xFF80_0001),
            float.Epsilon, -1e-40f, 0f, -0f,
        ];
        // Token counts below, at and past a group of eight and the panel; k off the eight-pair blocks.
        foreach (var (k, tokens, firstToken) in new[] { (2, 5, 0), (18, 40, 0), (18, 40, 32), (30, 8, 0), (64, 33, 1), (130, 19, 0) })
        {
            var x = random.Floats(tokens * k);
            for (int i = 0; i < x.Length; i += 3)
                x[i] = specials[random.Next(0, specials.Length)];
            var panel = new uint[k / 2 * BF16PairTile.Width];
            Array.Fill(panel, 0xDEAD_BEEF);
            fixed (float* xs = x)
            fixed (uint* p = panel)
                BF16PairPanel.Pack(xs, k, tokens, firstToken, p);
            for (int i = 0; i < k / 2; i++)
            {
                for (int t = 0; t < BF16PairTile.Width; t++)
                {
                    int token = firstToken + t;
                    uint expected = token < tokens
                        ? BFloat16.FromSingle(x[token * k + 2 * i]) | (uint)BFloat16.FromSingle(x[token * k + 2 * i + 1]) << 16
                        : 0;
                    Assert.True(expected == panel[i * BF16PairTile.Width + t],
                        $"k={k} tokens={tokens} from {firstToken}: pair {i} token {t}: 0x{panel[i * BF16PairTile.Width + t]:X8} vs 0x{expected:X8} ({random})");
                }
            }
        }
    }
}

/// <summary>Runs only where the <c>vdpbf16ps</c> kernels (<see cref="BF16PairTile"/>, <see cref="BF16RowPairTile"/>) can
/// run (AVX512-BF16, Linux x86-64), and says so otherwise.</summary>
public sealed class Avx512Bf16FactAttribute : FactAttribute
{
    public Avx512Bf16FactAttribute()
    {
        if (!BF16PairTile.IsSupported)
            Skip = BF16PairTile.CpuHasAvx512Bf16
                ? "the CPU has AVX512-BF16, but this runtime has AVX-512 off or this system gives no executable pages"
                : "the CPU has no AVX512-BF16 (vdpbf16ps)";
    }
}

