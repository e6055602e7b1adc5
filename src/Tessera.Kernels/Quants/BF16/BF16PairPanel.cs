using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.BF16;

/// <summary>
/// Token panels for <see cref="BF16PairTile"/>: for each pair of k, the 32-bit words of <see cref="BF16PairTile.Width"/>
/// tokens, each holding the token's x[2i] rounded to BF16 in its low half and x[2i + 1] in its high half (the order in
/// which <c>vdpbf16ps</c> pairs lanes with a weight row's two values). Rounding is to nearest, ties to even, with NaN
/// kept a NaN, as <see cref="Tensors.Quants.BF16.FromSingle"/>.
/// </summary>
internal static unsafe class BF16PairPanel
{
    private const int Width = BF16PairTile.Width;

    /// <summary>panel[i * 32 + t] for pairs i &lt; k / 2 and t &lt; 32: token <paramref name="firstToken"/> + t of x, or
    /// zeros past its last token. Needs AVX-512 (the tile does).</summary>
    /// <param name="x">[tokens, k] floats, k even</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* x, int k, int tokens, int firstToken, uint* panel)
    {
        int pairs = k / 2;
        int valid = Math.Clamp(tokens - firstToken, 0, Width);
        // Eight tokens by eight pairs at a time: each token's 16 values rounded to eight words, then the 8 x 8 block of
        // words transposed into the panel's eight pair rows.
        uint* block = stackalloc uint[64];
        int t = 0;
        for (; t + 8 <= valid; t += 8)
        {
            float* source = x + (long)(firstToken + t) * k;
            int i = 0;
            for (; i + 8 <= pairs; i += 8)
            {
                for (int u = 0; u < 8; u++)
                    Round(Vector512.Load(source + (long)u * k + 2 * i)).Store(block + 8 * u);
                RegisterTranspose.Transpose8((float*)block, 8, (float*)(panel + (long)i * Width + t), Width);
            }
            for (; i < pairs; i++)
            {
                for (int u = 0; u < 8; u++)
                    panel[(long)i * Width + t + u] = Pair(source + (long)u * k + 2 * i);
            }
        }
        for (; t < Width; t++)
        {
            float* source = x + (long)(firstToken + t) * k;
            for (int i = 0; i < pairs; i++)
                panel[(long)i * Width + t] = t < valid ? Pair(source + 2 * i) : 0;
        }
    }

    /// <summary>values[0], values[1] as one BF16 pair: the first in the low half.</summary>
    public static uint Pair(float* values) =>
        Tensors.Quants.BF16.FromSingle(values[0]) | (uint)Tensors.Quants.BF16.FromSingle(values[1]) << 16;

    /// <summary>16 floats to eight BF16 pairs: the top half of each float's bits after rounding to nearest even
    /// (adding 0x7FFF plus the lowest kept bit), NaNs quieted instead (rounding could carry one into infinity), then
    /// narrowed with <c>vpmovdw</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Round(Vector512<float> values)
    {
        var bits = values.AsUInt32();
        var rounded = bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One);
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        var kept = Vector512.ConditionalSelect(nan, bits | Vector512.Create(0x0040_0000u), rounded);
        return Avx512F.ConvertToVector256UInt16(kept >> 16).AsUInt32();
    }
}
