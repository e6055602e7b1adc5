using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Kernels.Quants.Panel;

/// <summary>
/// The int8 panel micro-kernel: 8 repacked weight rows (<see cref="PanelRecords"/>) x 8 tokens
/// (<see cref="PanelActivations"/>), AVX2, one 256-bit accumulator per token whose lanes are the eight rows. Per
/// record and token: eight vpbroadcastd of four activation bytes (q + 128, 1..255), each vpmaddubsw'd against the
/// same four levels of all eight rows; the int16 results added while they cannot saturate (4-bit levels: all eight,
/// |sum| &lt;= 8 * 2 * 255 * 8 = 32640; 5- and 6-bit levels: pairs), vpmaddwd to int32 lanes, minus the bias, to float,
/// times d_row * d_token, accumulated. About 20 instructions per 256 multiply-adds, against six per 32 for the 4x4
/// tile with the sign trick, and no horizontal sums: each accumulator holds its token's eight row results.
/// The record's levels, bias and scales stay in registers while the tokens run in a loop with their accumulators
/// in memory (one load and one store per token and record): unrolled over tokens, the JIT would keep the levels and
/// spill partial sums instead, and only 16 vector registers exist on AVX2.
/// </summary>
internal static unsafe class Int8PanelKernel
{
    public const int Tokens = 8;

    /// <summary>Whether <typeparamref name="TBlocks"/> runs the sign-trick path (<see cref="SignedRecord"/>), which wants
    /// the activations signed rather than as q + 128: 8-bit levels without VNNI.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool SignedActivations<TBlocks>() where TBlocks : IPanelBlocks => TBlocks.MaxLevel > 32 && !IsaSupport.AvxVnni;

    /// <summary>y[t * yStride + r] = row r · token t for r in 0..7 and t below <paramref name="tokens"/> (1..8), over
    /// <paramref name="subBlocks"/> records. A last group of fewer than eight tokens costs what it holds: a batch of
    /// 12 had cost one of 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TBlocks>(byte* records, int subBlocks, byte* activations, nint activationStride, float* y, nint yStride, int tokens)
        where TBlocks : IPanelBlocks
    {
        var acc = stackalloc Vector256<float>[Tokens];
        for (int t = 0; t < Tokens; t++)
            acc[t] = default;
        nint scales = PanelActivations.ScalesOffset(subBlocks), sums = PanelActivations.SumsOffset(subBlocks);
        var ones = Vector256.Create((short)1);
        for (int j = 0; j < subBlocks; j++)
        {
            byte* w = records + (nint)j * PanelRecords.RecordBytes;
            var l0 = Vector256.Load((sbyte*)w); var l1 = Vector256.Load((sbyte*)(w + 32));
            var l2 = Vector256.Load((sbyte*)(w + 64)); var l3 = Vector256.Load((sbyte*)(w + 96));
            var l4 = Vector256.Load((sbyte*)(w + 128)); var l5 = Vector256.Load((sbyte*)(w + 160));
            var l6 = Vector256.Load((sbyte*)(w + 192)); var l7 = Vector256.Load((sbyte*)(w + 224));
            var bias = Vector256.Load((int*)(w + PanelRecords.BiasOffset));
            var dw = Vector256.Load((float*)(w + PanelRecords.ScaleOffset));
            byte* x = activations + 32 * (nint)j;
            float* dx = (float*)(activations + scales) + j;
            if (SignedActivations<TBlocks>())
            {
                SignedRecord(w, l0, l1, l2, l3, l4, l5, l6, l7, dw, x, activationStride, dx, acc, tokens);
                continue;
            }
            if (IsaSupport.AvxVnni)
            {
                VnniRecord<TBlocks>(w, l0, l1, l2, l3, l4, l5, l6, l7, -bias, dw, x, activationStride, dx, acc, tokens);
                continue;
            }
            for (int t = 0; t < tokens; t++, x += activationStride, dx = (float*)((byte*)dx + activationStride))
            {
                var p0 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)x).AsByte(), l0);
                var p1 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)(x + 4)).AsByte(), l1);
                var p2 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)(x + 8)).AsByte(), l2);
                var p3 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)(x + 12)).AsByte(), l3);
                var p4 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)(x + 16)).AsByte(), l4);
                var p5 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)(x + 20)).AsByte(), l5);
                var p6 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)(x + 24)).AsByte(), l6);
                var p7 = Avx2.MultiplyAddAdjacent(Vector256.Create(*(int*)(x + 28)).AsByte(), l7);
                var scale = Vector256.Create(*dx);
                if (TBlocks.MaxLevel <= 8)
                {
                    var products = Avx2.MultiplyAddAdjacent(p0 + p1 + p2 + p3 + p4 + p5 + p6 + p7, ones) - bias;
                    acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(products), dw * scale, acc[t]);
                }
                else
                {
                    // 5- and 6-bit levels: two products per int16 sum (|sum| <= 2 * 2 * 255 * 32 = 32640).
                    var first = Avx2.MultiplyAddAdjacent(p0 + p1, ones) + Avx2.MultiplyAddAdjacent(p2 + p3, ones);
                    var second = Avx2.MultiplyAddAdjacent(p4 + p5, ones) + Avx2.MultiplyAddAdjacent(p6 + p7, ones);
                    if (TBlocks.HalfScales)
                    {
                        var secondBias = Vector256.Load((int*)(w + PanelRecords.SecondBiasOffset));
                        var secondScale = Vector256.Load((float*)(w + PanelRecords.SecondScaleOffset));
                        var c = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first - bias), dw * scale, acc[t]);
                        acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(second - secondBias), secondScale * scale, c);
                    }
                    else
                    {
                        acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first + second - bias), dw * scale, acc[t]);
                    }
                }
            }
        }
        Finish<TBlocks>(records, subBlocks, activations, activationStride, sums, acc, y, yStride, tokens);
    }

    /// <summary>Whether <typeparamref name="TBlocks"/> takes <see cref="TilePair{TBlocks}"/> for two full groups: the
    /// pair tile runs here and the type takes the AVX-VNNI record loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool PairApplies<TBlocks>() where TBlocks : IPanelBlocks =>
        Int8PanelPairTile.IsSupported && IsaSupport.AvxVnni && !SignedActivations<TBlocks>();

    /// <summary><see cref="Tile{TBlocks}"/> for two groups of records over the same 8 tokens at once (512-bit VNNI,
    /// <see cref="Int8PanelPairTile"/>): group A's results to <paramref name="yA"/>, group B's to <paramref name="yB"/>,
    /// each exactly as <see cref="Tile{TBlocks}"/> gives them (<see cref="PairApplies{TBlocks}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TilePair<TBlocks>(byte* recordsA, byte* recordsB, int subBlocks, byte* activations, nint activationStride,
        float* yA, float* yB, nint yStride) where TBlocks : IPanelBlocks
    {
        var acc = stackalloc Vector256<float>[2 * Tokens];
        Int8PanelPairTile.Tile(recordsA, recordsB, subBlocks, activations, activationStride, (float*)acc, TBlocks.HalfScales);
        nint sums = PanelActivations.SumsOffset(subBlocks);
        Finish<TBlocks>(recordsA, subBlocks, activations, activationStride, sums, acc, yA, yStride, Tokens);
        Finish<TBlocks>(recordsB, subBlocks, activations, activationStride, sums, acc + Tokens, yB, yStride, Tokens);
    }

    /// <summary>
    /// One record against the 8 tokens with VNNI: vpdpbusd sums four u8 x s8 products straight into int32, so nothing
    /// can saturate (8-bit levels need this), in half the instructions of vpmaddubsw + int16 adds + vpmaddwd. Two
    /// chains, values 0-15 and 16-31 of the record (the halves Q6_K, Q3_K and Q2_K scale apart), overlap; each starts
    /// from its negated bias, which saves a subtract per token. The vector pipes bound this loop (eight broadcasts and
    /// eight vpdpbusd per token), so every vector instruction taken out of it counts: with the token scale as an
    /// embedded broadcast, 28 instructions per token where the plain form had 32 (IQ4_NL pp512 +2-6%).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VnniRecord<TBlocks>(byte* w, Vector256<sbyte> l0, Vector256<sbyte> l1, Vector256<sbyte> l2, Vector256<sbyte> l3,
        Vector256<sbyte> l4, Vector256<sbyte> l5, Vector256<sbyte> l6, Vector256<sbyte> l7, Vector256<int> negativeBias,
        Vector256<float> dw, byte* x, nint activationStride, float* dx, Vector256<float>* acc, int tokens) where TBlocks : IPanelBlocks
    {
        var secondStart = TBlocks.HalfScales ? -Vector256.Load((int*)(w + PanelRecords.SecondBiasOffset)) : Vector256<int>.Zero;
        for (Vector256<float>* end = acc + tokens; acc < end; acc++, x += activationStride, dx = (float*)((byte*)dx + activationStride))
        {
            var first = AvxVnni.MultiplyWideningAndAdd(negativeBias, Vector256.Create(*(int*)x).AsByte(), l0);
            var second = AvxVnni.MultiplyWideningAndAdd(secondStart, Vector256.Create(*(int*)(x + 16)).AsByte(), l4);
            first = AvxVnni.MultiplyWideningAndAdd(first, Vector256.Create(*(int*)(x + 4)).AsByte(), l1);
            second = AvxVnni.MultiplyWideningAndAdd(second, Vector256.Create(*(int*)(x + 20)).AsByte(), l5);
            first = AvxVnni.MultiplyWideningAndAdd(first, Vector256.Create(*(int*)(x + 8)).AsByte(), l2);
            second = AvxVnni.MultiplyWideningAndAdd(second, Vector256.Create(*(int*)(x + 24)).AsByte(), l6);
            first = AvxVnni.MultiplyWideningAndAdd(first, Vector256.Create(*(int*)(x + 12)).AsByte(), l3);
            second = AvxVnni.MultiplyWideningAndAdd(second, Vector256.Create(*(int*)(x + 28)).AsByte(), l7);
            if (TBlocks.HalfScales)
            {
                var tokenScale = Vector256.Create(*dx);
                var secondScale = Vector256.Load((float*)(w + PanelRecords.SecondScaleOffset));
                var c = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first), dw * tokenScale, *acc);
                *acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(second), secondScale * tokenScale, c);
            }
            else
            {
                *acc = Fma.MultiplyAdd(Avx.ConvertToVector256Single(first + second), dw * Vector256.Create(*dx), *acc);
            }
        }
    }

    /// <summary>
    /// One record of 8-bit levels (Q8_0, IQ4_NL) against the 8 tokens without VNNI: activations signed, products by
    /// the sign trick, vpmaddubsw(|level|, x with the level's sign), each result widened on its own (|pair| &lt;=
    /// 2 * 128 * 127). The magnitudes stay in registers; the signed levels come from memory as vpsignb's operand.
    /// 34 instructions per record and token; the same levels as two 4-bit planes through the int16 path took 40 and
    /// ran at two thirds of this speed (TinyLlama-shape IQ4_NL pp512, 97 against 150 t/s).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SignedRecord(byte* w, Vector256<sbyte> l0, Vector256<sbyte> l1, Vector256<sbyte> l2, Vector256<sbyte> l3,
        Vector256<sbyte> l4, Vector256<sbyte> l5, Vector256<sbyte> l6, Vector256<sbyte> l7, Vector256<float> dw,
        byte* x, nint activationStride, float* dx, Vector256<float>* acc, int tokens)
    {
        var a0 = Avx2.Abs(l0); var a1 = Avx2.Abs(l1); var a2 = Avx2.Abs(l2); var a3 = Avx2.Abs(l3);
        var a4 = Avx2.Abs(l4); var a5 = Avx2.Abs(l5); var a6 = Avx2.Abs(l6); var a7 = Avx2.Abs(l7);
        var ones = Vector256.Create((short)1);
        sbyte* levels = (sbyte*)w;
        for (int t = 0; t < tokens; t++, x += activationStride, dx = (float*)((byte*)dx + activationStride))
        {
            var s0 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a0, Avx2.Sign(Vector256.Create(*(int*)x).AsSByte(), Vector256.Load(levels))), ones);
            var s1 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a1, Avx2.Sign(Vector256.Create(*(int*)(x + 4)).AsSByte(), Vector256.Load(levels + 32))), ones);
            var s2 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a2, Avx2.Sign(Vector256.Create(*(int*)(x + 8)).AsSByte(), Vector256.Load(levels + 64))), ones);
            var s3 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a3, Avx2.Sign(Vector256.Create(*(int*)(x + 12)).AsSByte(), Vector256.Load(levels + 96))), ones);
            var s4 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a4, Avx2.Sign(Vector256.Create(*(int*)(x + 16)).AsSByte(), Vector256.Load(levels + 128))), ones);
            var s5 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a5, Avx2.Sign(Vector256.Create(*(int*)(x + 20)).AsSByte(), Vector256.Load(levels + 160))), ones);
            var s6 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a6, Avx2.Sign(Vector256.Create(*(int*)(x + 24)).AsSByte(), Vector256.Load(levels + 192))), ones);
            var s7 = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(a7, Avx2.Sign(Vector256.Create(*(int*)(x + 28)).AsSByte(), Vector256.Load(levels + 224))), ones);
            var sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
            acc[t] = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sum), dw * Vector256.Create(*dx), acc[t]);
        }
    }

    /// <summary>Adds the offsets' term where the type has one, and stores the 8 rows' results of the first
    /// <paramref name="tokens"/> tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TBlocks>(byte* records, int subBlocks, byte* activations, nint activationStride, nint sums,
        Vector256<float>* acc, float* y, nint yStride, int tokens) where TBlocks : IPanelBlocks
    {
        for (int t = 0; t < tokens; t++)
        {
            var c = acc[t];
            if (TBlocks.HasOffsets)
            {
                // The offsets' term Σ_j offset_j,r * s_j,t, after the integer products so it needs no registers there.
                float* s = (float*)(activations + t * activationStride + sums);
                for (int j = 0; j < subBlocks; j++)
                    c = Fma.MultiplyAdd(Vector256.Load((float*)(records + (nint)j * PanelRecords.RecordBytes + PanelRecords.OffsetOffset)), Vector256.Create(s[j]), c);
                if (TBlocks.HalfOffsets)
                {
                    // The second halves' offsets differ from the first's by the stored deltas, against their own sums.
                    float* second = s + subBlocks;
                    for (int j = 0; j < subBlocks; j++)
                        c = Fma.MultiplyAdd(Vector256.Load((float*)(records + (nint)j * PanelRecords.RecordBytes + PanelRecords.SecondOffsetDeltaOffset)), Vector256.Create(second[j]), c);
                }
            }
            c.Store(y + t * yStride);
        }
    }
}
