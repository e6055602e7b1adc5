using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants;

/// <summary>
/// Row panels of 16-bit weights (F16 or BF16) for <see cref="FloatMatMul"/>'s row-panel tiles on CPUs without AVX-512
/// (<see cref="F16.F16cRowPanelTile"/>, <see cref="BF16.BF16RowPanelTile"/>): 16 rows interleaved per value of k,
/// panel[i * 16 + slot], so that one 32-byte load gives all 16 rows' weights of value i. The tiles then take
/// <see cref="Tokens"/> tokens at a time, each token's activation broadcast.
/// </summary>
internal static unsafe class RowPanel
{
    /// <summary>Weight rows per row panel and per tile call.</summary>
    public const int Rows = 16;

    /// <summary>Tokens per tile call.</summary>
    public const int Tokens = 6;

    /// <summary>
    /// <paramref name="count"/> (1..16) rows of 16-bit values, <paramref name="rowBytes"/> apart, into the row panel
    /// panel[i * 16 + slot] = value i of the slot's row (<see cref="Slot"/>), the slots of rows past
    /// <paramref name="count"/> as zeros. A full panel's eight slots and sixteen values go through one pair of 8 x 8
    /// transposes in registers (<see cref="Transpose16"/>, AVX2), 32 values of k at a time; the rest value by value.
    /// </summary>
    /// <param name="paired">false: slot r holds row r (<c>vcvtph2ps</c> widens slots 0-7 and 8-15 as they lie). true:
    /// slots 2j and 2j + 1 hold rows j and j + 8, so that each 32-bit lane holds row j in its low half and row j + 8 in
    /// its high half: BF16 widens them with a shift and a mask (interleaving with zeros took two shuffles that competed
    /// with the FMAs, 52 against 86 GFLOP/s on a Zen 3 core).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* rows, nint rowBytes, int count, int k, ushort* panel, bool paired)
    {
        if (count is < 1 or > Rows)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"1..{Rows} rows");
        // Each slot's row, null past the last: the transposes read slots 0-7 and 8-15 in slot order.
        ushort** slotRows = stackalloc ushort*[Rows];
        for (int r = 0; r < Rows; r++)
            slotRows[Slot(r, paired)] = r < count ? (ushort*)(rows + r * rowBytes) : null;
        int i = 0;
        if (count == Rows && Avx2.IsSupported)
        {
            // A line's worth of values (32) from slots 0-7, then from slots 8-15: rows a multiple of 4 KiB apart
            // (k = 2048 F16) fall in one L1 set, which holds eight of them, so each line stays for the transposes that
            // read it (packing from L2 went 7.5-12.5 -> 9.6-16.5 GB/s on a Zen 3 core).
            for (; i + 32 <= k; i += 32)
            {
                Transpose16(slotRows, i, panel + i * Rows);
                Transpose16(slotRows, i + 16, panel + (i + 16) * Rows);
                Transpose16(slotRows + 8, i, panel + i * Rows + 8);
                Transpose16(slotRows + 8, i + 16, panel + (i + 16) * Rows + 8);
            }
        }
        // The values past the last 32 (none where k is a multiple of 32, as in the models' shapes), or every value of a
        // panel short of 16 rows.
        for (int slot = 0; slot < Rows; slot++)
        {
            ushort* values = slotRows[slot];
            for (int j = i; j < k; j++)
                panel[j * Rows + slot] = values != null ? values[j] : (ushort)0;
        }
    }

    /// <summary>The slot of row <paramref name="row"/> in a row panel packed <paramref name="paired"/> or not
    /// (<see cref="Pack"/>).</summary>
    public static int Slot(int row, bool paired) => !paired ? row : row < 8 ? 2 * row : 2 * (row - 8) + 1;

    /// <summary>Values i..i+15 of eight slots' rows (<paramref name="slotRows"/>) to sixteen values' eight slots at
    /// <paramref name="destination"/>, <see cref="Rows"/> halves apart: three rounds of interleaving pairs, quads and
    /// octets, each 128-bit lane transposing its own eight values (the low lane i..i+7, the high lane i+8..i+15), and
    /// the lanes stored apart. Half the loads and shuffles per value of the 8 x 8 transposes in 128-bit registers it
    /// replaced: a full panel packed 1.16-1.41x as fast (F16, k = 2048 and 5632, from L2 and from memory, one Zen 3
    /// core).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(ushort** slotRows, int i, ushort* destination)
    {
        var a0 = Vector256.Load(slotRows[0] + i);
        var a1 = Vector256.Load(slotRows[1] + i);
        var a2 = Vector256.Load(slotRows[2] + i);
        var a3 = Vector256.Load(slotRows[3] + i);
        var a4 = Vector256.Load(slotRows[4] + i);
        var a5 = Vector256.Load(slotRows[5] + i);
        var a6 = Vector256.Load(slotRows[6] + i);
        var a7 = Vector256.Load(slotRows[7] + i);
        var b0 = Avx2.UnpackLow(a0, a1).AsUInt32(); var b1 = Avx2.UnpackHigh(a0, a1).AsUInt32();
        var b2 = Avx2.UnpackLow(a2, a3).AsUInt32(); var b3 = Avx2.UnpackHigh(a2, a3).AsUInt32();
        var b4 = Avx2.UnpackLow(a4, a5).AsUInt32(); var b5 = Avx2.UnpackHigh(a4, a5).AsUInt32();
        var b6 = Avx2.UnpackLow(a6, a7).AsUInt32(); var b7 = Avx2.UnpackHigh(a6, a7).AsUInt32();
        var c0 = Avx2.UnpackLow(b0, b2).AsUInt64(); var c1 = Avx2.UnpackHigh(b0, b2).AsUInt64();
        var c2 = Avx2.UnpackLow(b1, b3).AsUInt64(); var c3 = Avx2.UnpackHigh(b1, b3).AsUInt64();
        var c4 = Avx2.UnpackLow(b4, b6).AsUInt64(); var c5 = Avx2.UnpackHigh(b4, b6).AsUInt64();
        var c6 = Avx2.UnpackLow(b5, b7).AsUInt64(); var c7 = Avx2.UnpackHigh(b5, b7).AsUInt64();
        StoreLanes(Avx2.UnpackLow(c0, c4), destination);
        StoreLanes(Avx2.UnpackHigh(c0, c4), destination + Rows);
        StoreLanes(Avx2.UnpackLow(c1, c5), destination + 2 * Rows);
        StoreLanes(Avx2.UnpackHigh(c1, c5), destination + 3 * Rows);
        StoreLanes(Avx2.UnpackLow(c2, c6), destination + 4 * Rows);
        StoreLanes(Avx2.UnpackHigh(c2, c6), destination + 5 * Rows);
        StoreLanes(Avx2.UnpackLow(c3, c7), destination + 6 * Rows);
        StoreLanes(Avx2.UnpackHigh(c3, c7), destination + 7 * Rows);
    }

    /// <summary>The low lane's eight slots of value j at <paramref name="destination"/>, the high lane's (value j + 8)
    /// eight values further on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector256<ulong> slots, ushort* destination)
    {
        slots.GetLower().AsUInt16().Store(destination);
        slots.GetUpper().AsUInt16().Store(destination + 8 * Rows);
    }
}
