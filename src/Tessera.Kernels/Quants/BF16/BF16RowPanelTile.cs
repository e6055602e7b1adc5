using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants.BF16;

/// <summary>
/// The BF16 register tile of <see cref="FloatMatMul"/> on CPUs without AVX-512, the twin of
/// <see cref="F16.F16cRowPanelTile"/>: 16 weight rows x 6 tokens over a row panel of BF16 values packed in pairs
/// (<see cref="RowPanel.Pack"/>: each 32-bit lane holds row j and row j + 8), each token's activation broadcast from its
/// own row of x. A BF16 value is the top half of its float, so the lanes shifted left by 16 are rows 0-7 as floats and
/// the lanes masked to their high half rows 8-15: two simple operations per value of k, no conversion instruction,
/// managed code. Each sum is the FMA chain over k in order, as in the float panels, so the two give the same bits.
/// </summary>
internal static unsafe class BF16RowPanelTile
{
    /// <summary>The row panel's slot order this tile reads (<see cref="RowPanel.Pack"/>): rows j and j + 8 in one
    /// 32-bit lane.</summary>
    public const bool PairedSlots = true;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>c[t * cStride + r] = Σ_i row r's value i · x[t * xStride + i] for the 16 rows of a row panel and 6
    /// tokens (<see cref="F16.F16cRowPanelTile.Tile"/>'s contract).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(ushort* panel, int k, float* x, nint xStride, float* c, nint cStride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        float* x0 = x, x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride, x4 = x3 + xStride, x5 = x4 + xStride;
        Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default;
        Vector256<float> a3 = default, b3 = default, a4 = default, b4 = default, a5 = default, b5 = default;
        for (int i = 0; i < k; i++, panel += RowPanel.Rows)
        {
            var values = Avx.LoadVector256((uint*)panel);
            var low = Avx2.ShiftLeftLogical(values, 16).AsSingle();
            var high = (values & Vector256.Create(0xFFFF0000u)).AsSingle();
            var v = Vector256.Create(x0[i]);
            a0 = Fma.MultiplyAdd(low, v, a0); b0 = Fma.MultiplyAdd(high, v, b0);
            v = Vector256.Create(x1[i]);
            a1 = Fma.MultiplyAdd(low, v, a1); b1 = Fma.MultiplyAdd(high, v, b1);
            v = Vector256.Create(x2[i]);
            a2 = Fma.MultiplyAdd(low, v, a2); b2 = Fma.MultiplyAdd(high, v, b2);
            v = Vector256.Create(x3[i]);
            a3 = Fma.MultiplyAdd(low, v, a3); b3 = Fma.MultiplyAdd(high, v, b3);
            v = Vector256.Create(x4[i]);
            a4 = Fma.MultiplyAdd(low, v, a4); b4 = Fma.MultiplyAdd(high, v, b4);
            v = Vector256.Create(x5[i]);
            a5 = Fma.MultiplyAdd(low, v, a5); b5 = Fma.MultiplyAdd(high, v, b5);
        }
        a0.Store(c); b0.Store(c + 8); c += cStride;
        a1.Store(c); b1.Store(c + 8); c += cStride;
        a2.Store(c); b2.Store(c + 8); c += cStride;
        a3.Store(c); b3.Store(c + 8); c += cStride;
        a4.Store(c); b4.Store(c + 8); c += cStride;
        a5.Store(c); b5.Store(c + 8);
    }
}
