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
    /// <paramref name="count"/> as zeros. Eight slots and eight values go through one 8 x 8 transpose in registers.
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
        if (count == Rows)
        {
            // A line's worth of values (32) from slots 0-7, then from slots 8-15: rows a multiple of 4 KiB apart
            // (k = 2048 F16) fall in one L1 set, which holds eight of them, so each line now stays for the four
            // transposes that read it (packing from L2 went 7.5-12.5 -> 9.6-16.5 GB/s on a Zen 3 core).
            for (; i + 32 <= k; i += 32)
            {
                for (int j = i; j < i + 32; j += 8)
                    Transpose8(slotRows, j, panel + j * Rows);
                for (int j = i; j < i + 32; j += 8)
                    Transpose8(slotRows + 8, j, panel + j * Rows + 8);
            }
            for (; i + 8 <= k; i += 8)
            {
                Transpose8(slotRows, i, panel + i * Rows);
                Transpose8(slotRows + 8, i, panel + i * Rows + 8);
            }
        }
        // The values past the last eight, or every value of a panel short of 16 rows.
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

    /// <summary>Values i..i+7 of eight slots' rows (<paramref name="slotRows"/>) to eight values' eight slots at
    /// <paramref name="destination"/>, <see cref="Rows"/> halves apart: three rounds of interleaving pairs, quads and
    /// octets in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(ushort** slotRows, int i, ushort* destination)
    {
        var a0 = Sse2.LoadVector128(slotRows[0] + i);
        var a1 = Sse2.LoadVector128(slotRows[1] + i);
        var a2 = Sse2.LoadVector128(slotRows[2] + i);
        var a3 = Sse2.LoadVector128(slotRows[3] + i);
        var a4 = Sse2.LoadVector128(slotRows[4] + i);
        var a5 = Sse2.LoadVector128(slotRows[5] + i);
        var a6 = Sse2.LoadVector128(slotRows[6] + i);
        var a7 = Sse2.LoadVector128(slotRows[7] + i);
        // Pairs: slots (0,1), (2,3), (4,5), (6,7) interleaved, values 0-3 and 4-7.
        var b0 = Sse2.UnpackLow(a0, a1).AsUInt32(); var b1 = Sse2.UnpackHigh(a0, a1).AsUInt32();
        var b2 = Sse2.UnpackLow(a2, a3).AsUInt32(); var b3 = Sse2.UnpackHigh(a2, a3).AsUInt32();
        var b4 = Sse2.UnpackLow(a4, a5).AsUInt32(); var b5 = Sse2.UnpackHigh(a4, a5).AsUInt32();
        var b6 = Sse2.UnpackLow(a6, a7).AsUInt32(); var b7 = Sse2.UnpackHigh(a6, a7).AsUInt32();
        // Quads: slots 0-3 and 4-7, two values each.
        var c0 = Sse2.UnpackLow(b0, b2).AsUInt64(); var c1 = Sse2.UnpackHigh(b0, b2).AsUInt64();
        var c2 = Sse2.UnpackLow(b1, b3).AsUInt64(); var c3 = Sse2.UnpackHigh(b1, b3).AsUInt64();
        var c4 = Sse2.UnpackLow(b4, b6).AsUInt64(); var c5 = Sse2.UnpackHigh(b4, b6).AsUInt64();
        var c6 = Sse2.UnpackLow(b5, b7).AsUInt64(); var c7 = Sse2.UnpackHigh(b5, b7).AsUInt64();
        // Octets: all eight slots of one value.
        Sse2.UnpackLow(c0, c4).AsUInt16().Store(destination);
        Sse2.UnpackHigh(c0, c4).AsUInt16().Store(destination + Rows);
        Sse2.UnpackLow(c1, c5).AsUInt16().Store(destination + 2 * Rows);
        Sse2.UnpackHigh(c1, c5).AsUInt16().Store(destination + 3 * Rows);
        Sse2.UnpackLow(c2, c6).AsUInt16().Store(destination + 4 * Rows);
        Sse2.UnpackHigh(c2, c6).AsUInt16().Store(destination + 5 * Rows);
        Sse2.UnpackLow(c3, c7).AsUInt16().Store(destination + 6 * Rows);
        Sse2.UnpackHigh(c3, c7).AsUInt16().Store(destination + 7 * Rows);
    }
}
