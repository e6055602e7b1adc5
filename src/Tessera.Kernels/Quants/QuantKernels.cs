using Tessera.Kernels.Quants.BF16;
using Tessera.Kernels.Quants.F16;
using Tessera.Kernels.Quants.F32;
using Tessera.Kernels.Quants.IQ4_NL;
using Tessera.Kernels.Quants.Q2_K;
using Tessera.Kernels.Quants.Q3_K;
using Tessera.Kernels.Quants.Nibbles;
using Tessera.Kernels.Quants.Q4_0;
using Tessera.Kernels.Quants.Q4_1;
using Tessera.Kernels.Quants.Q5_0;
using Tessera.Kernels.Quants.Q5_1;
using Tessera.Kernels.Quants.Q5_K;
using Tessera.Kernels.Quants.Q4_K;
using Tessera.Kernels.Quants.Q6_K;
using Tessera.Kernels.Quants.Q8_0;
using Tessera.Kernels.Quants.Q8_1;
using Tessera.Kernels.Quants.Q8_K;
using Tessera.Kernels.Quants.Panel;
using Tessera.Tensors;

namespace Tessera.Kernels.Quants;

/// <summary>
/// What the matrix kernels need to know about one weight type: the activation type its dot product pairs with
/// (F32 for float weights, Q8_0/Q8_1 for 32-blocks, Q8_K for 256-blocks), block geometry, and the kernels.
/// </summary>
internal readonly unsafe struct QuantKernel
{
    public GgmlType WeightType { get; init; }

    public GgmlType ActivationType { get; init; }

    /// <summary>Elements per weight block; k must be a multiple of it.</summary>
    public int BlockSize { get; init; }

    public int WeightBlockBytes { get; init; }

    /// <summary>Bytes of activation per <see cref="BlockSize"/> elements.</summary>
    public int ActivationBlockBytes { get; init; }

    /// <summary>Dot of one weight row with one activation row: the widest ISA path this CPU supports.</summary>
    public delegate*<byte*, byte*, int, float> Dot { get; init; }

    /// <summary>One weight row with four activation rows a stride apart (a matrix-matrix micro-kernel); null
    /// where the type or CPU has none and the matmul calls <see cref="Dot"/> per token instead.</summary>
    public delegate*<byte*, byte*, nint, int, float*, void> Dot4 { get; init; }

    /// <summary>One weight row with two activation rows a stride apart, as <see cref="Dot4"/>: wherever the matmul meets
    /// a row token by token (no tile, or the tokens left after the tiles and four-token groups), pairs of tokens take
    /// one pass over it; null where the type or CPU has none.</summary>
    public delegate*<byte*, byte*, nint, int, float*, void> Dot2 { get; init; }

    /// <summary>One weight row with three activation rows a stride apart, as <see cref="Dot2"/>: where exactly three
    /// tokens meet a row token by token, they take one pass over it instead of a pair's and a single's; null where the
    /// type or CPU has none.</summary>
    public delegate*<byte*, byte*, nint, int, float*, void> Dot3 { get; init; }

    /// <summary>4 weight rows x 4 tokens (<see cref="Int8TileKernel{TBlocks}"/>): <c>Tile(weights, weightStride,
    /// activations, activationStride, k, y, yStride)</c>; null where the type or CPU has none.</summary>
    public delegate*<byte*, nint, byte*, nint, int, float*, nint, void> Tile { get; init; }

    /// <summary>4 weight rows x 2 tokens, same contract as <see cref="Tile"/>: for the two or three tokens left after
    /// the four-token tiles (a batch of a few decode steps); null where the type has none.</summary>
    public delegate*<byte*, nint, byte*, nint, int, float*, nint, void> Tile2 { get; init; }

    /// <summary>For a packed entry without a tile: batches of fewer tokens than this also run its <see cref="Dot4"/>
    /// where it has one and its <see cref="Dot"/> for the rest, row by row (the row stays in L1 across the tokens),
    /// instead of the plain entry's kernels (<see cref="QuantKernels.TryGetForMatMul"/>). At least
    /// <see cref="MatMul.MicroTokens"/>: fewer tokens never fill a tile.</summary>
    public int BatchTokens { get; init; }

    /// <summary>Whether <see cref="Dot"/> prefetches its weights itself (<c>WeightPrefetch.Stream</c>), and so do its
    /// <see cref="Dot2"/>, <see cref="Dot3"/> and <see cref="Dot4"/> where it has them, so the matvec and the matmul's
    /// row-by-row passes must not add a row-at-a-time burst of their own.</summary>
    public bool StreamsWeights { get; init; }

    /// <summary>For the float types (F32, F16, BF16): <c>ToSingle(row, destination, count)</c> converts a run of
    /// weights to F32 (<see cref="FloatMatMul"/> converts each task's rows once); null for the quantized types.</summary>
    public delegate*<byte*, float*, int, void> RowsToSingle { get; init; }

    /// <summary>For the 4- to 6-bit types on AVX2 (their activations Q8_0, Q8_1 or Q8_K): repacks up to 8 weight
    /// rows for <see cref="Int8PanelMatMul"/> (<c>Repack(rows, stride, validRows, k, destination)</c>, see
    /// <see cref="Panel.PanelRecords"/>); null elsewhere.</summary>
    public delegate*<byte*, nint, int, int, byte*, void> PanelRepack { get; init; }

    /// <summary>8 repacked rows x up to 8 tokens (<see cref="Panel.Int8PanelKernel"/>); set with <see cref="PanelRepack"/>.</summary>
    public delegate*<byte*, int, byte*, nint, float*, nint, int, void> PanelTile { get; init; }

    /// <summary>Two groups of 8 repacked rows x 8 tokens at once (<see cref="Panel.Int8PanelKernel.TilePair{TBlocks}"/>,
    /// 512-bit VNNI), or null where it does not apply; the same results as two <see cref="PanelTile"/> calls.</summary>
    public delegate*<byte*, byte*, int, byte*, nint, float*, float*, nint, void> PanelPairTile { get; init; }

    /// <summary>Fewest tokens for which <see cref="Int8PanelMatMul"/> beats the type's other matmul kernels (repacking
    /// the rows costs about as much as a few tokens' products).</summary>
    public int PanelMinTokens { get; init; }

    /// <summary>Whether the panel's activations stay signed (8-bit levels on AVX2 without VNNI, which the kernel
    /// multiplies with the sign trick) instead of being stored as q + 128; set with <see cref="PanelTile"/> from
    /// <see cref="Panel.Int8PanelKernel.SignedActivations{TBlocks}"/>.</summary>
    public bool PanelSignedActivations { get; init; }

    /// <summary>F32 row to <see cref="ActivationType"/>; null when activations stay F32.</summary>
    public delegate*<float*, int, byte*, void> QuantizeActivations { get; init; }

    public long WeightRowBytes(int k) => (long)(k / BlockSize) * WeightBlockBytes;

    public long ActivationRowBytes(int k) => (long)(k / BlockSize) * ActivationBlockBytes;
}

/// <summary>
/// The traits table: one switch from weight type to its kernels, built once. For each type the dot product is the
/// widest of its ISA paths (<c>Paths</c>, listed narrow to wide) this CPU supports; the <c>IsSupported</c> checks
/// behind that choice are JIT-time constants.
/// </summary>
internal static unsafe class QuantKernels
{
    private static readonly QuantKernel[] Table = BuildTable();

    /// <summary>Faster variants over a kernel-specific activation layout, by weight type; used for row lengths that
    /// are a multiple of their (larger) block size. Empty entries where a type or this CPU has none.</summary>
    private static readonly QuantKernel[] PackedTable = BuildPackedTable();

    /// <summary>Variants for matrix-matrix products only (prompt processing), where a type's best many-token kernel
    /// wants activations its single-token dot would not: Q8_0 on the FMA units over dequantized activations.</summary>
    private static readonly QuantKernel[] MatMulTable = BuildMatMulTable();

    public static bool IsSupported(GgmlType weightType) => TryGet(weightType, out _);

    public static QuantKernel Get(GgmlType weightType) =>
        TryGet(weightType, out var kernel)
            ? kernel
            : throw new NotSupportedException($"no CPU matrix kernel for weight type {weightType}");

    /// <summary>The kernel a matrix-matrix product of <paramref name="tokens"/> tokens uses for rows of
    /// <paramref name="k"/> values.</summary>
    public static bool TryGetForMatMul(GgmlType weightType, int k, int tokens, out QuantKernel kernel)
    {
        if (TryGetMatMulVariant(weightType, k, out kernel))
            return true;
        // A packed variant without many-token kernels serves decode and batches below its BatchTokens; larger batches
        // keep the plain entry's tile.
        if (TryGet(weightType, k, out kernel) && kernel.Tile == null && tokens >= kernel.BatchTokens
            && TryGet(weightType, out var plain) && plain.Tile != null)
            kernel = plain;
        return kernel.Dot != null;
    }

    /// <summary>Whether batches of every size take a matmul-only variant (Q8_0's float tile with AVX-512), so that no batch
    /// runs the decode entry's dot.</summary>
    internal static bool TryGetMatMulVariant(GgmlType weightType, int k, out QuantKernel kernel)
    {
        uint index = (uint)weightType;
        kernel = index < (uint)MatMulTable.Length && MatMulTable[index] is { Dot: not null } variant && k % variant.BlockSize == 0 ? variant : default;
        return kernel.Dot != null;
    }

    /// <summary>The kernel for rows of <paramref name="k"/> values: the packed variant where it applies.</summary>
    public static bool TryGet(GgmlType weightType, int k, out QuantKernel kernel)
    {
        uint index = (uint)weightType;
        if (index < (uint)PackedTable.Length && PackedTable[index] is { Dot: not null } packed && k % packed.BlockSize == 0)
        {
            kernel = packed;
            return true;
        }
        return TryGet(weightType, out kernel);
    }

    public static bool TryGet(GgmlType weightType, out QuantKernel kernel)
    {
        uint index = (uint)weightType;
        kernel = index < (uint)Table.Length ? Table[index] : default;
        return kernel.Dot != null;
    }

    private static QuantKernel[] BuildTable()
    {
        var table = new QuantKernel[(int)GgmlType.MXFP4 + 1];
        foreach (GgmlType type in Enum.GetValues<GgmlType>())
            table[(int)type] = Create(type);
        return table;
    }

    private static QuantKernel[] BuildMatMulTable()
    {
        var table = new QuantKernel[(int)GgmlType.MXFP4 + 1];
        if (Q8_0FloatTile.IsSupported)
        {
            table[(int)GgmlType.Q8_0] = new QuantKernel
            {
                WeightType = GgmlType.Q8_0,
                ActivationType = GgmlType.Q8_0,
                BlockSize = Q8_0Activations.BlockSize,
                WeightBlockBytes = Q8_0Activations.BlockBytes,
                ActivationBlockBytes = Q8_0FloatTile.ActivationBlockBytes,
                Dot = &Q8_0FloatTile.Dot,
                Tile = &Q8_0FloatTile.Tile,
                QuantizeActivations = &Q8_0FloatTile.Quantize,
            };
        }
        return table;
    }

    private static QuantKernel[] BuildPackedTable()
    {
        var table = new QuantKernel[(int)GgmlType.MXFP4 + 1];
        // Q4_0 and IQ4_NL share the block layout: the 512-bit nibble kernels (VBMI) for decode and small batches, or
        // without VBMI the AVX2 octet dot for decode and batches below its BatchTokens, two or four tokens a pass over
        // each row (no Tile: larger batches keep the plain entry's kernels).
        table[(int)GgmlType.Q4_0] = Nibbles<Q4_0NibbleLevels>(GgmlType.Q4_0, tiles: true, octetBatchTokens: Q4_0OctetBatchTokens, fourTokens: true);
        // IQ4_NL's managed 4x4 tile needs more registers than AVX-512 has (16 accumulators, and the sign trick's
        // temporaries): pp8 ran at 61-67 t/s against 88 for its plain 4x4 tile, so without VNNI its batches keep that one.
        // IQ4_NL's octet dot has a four-token form too, but its sign trick's per-token products take the same units as
        // everything it would share: pp4 27-29 t/s either way, pp8-16 behind the panel (29-34 against 37-53).
        table[(int)GgmlType.IQ4_NL] = Nibbles<IQ4_NLNibbleLevels>(GgmlType.IQ4_NL, tiles: false, octetBatchTokens: MatMul.MicroTokens, fourTokens: false);
        // With AVX512-VNNI, both take machine-code 4 x 4 tiles and decode dots with vpdpbusd (IQ4_NL's activations then
        // carry 128 Σx, which the managed IQ4_NL dots do not read).
        if (NibbleVnniTile.IsSupported)
        {
            table[(int)GgmlType.Q4_0] = table[(int)GgmlType.Q4_0] with
            {
                Dot = &NibbleVnniTile.DotQ4_0,
                Tile = &NibbleVnniTile.TileQ4_0,
                Tile2 = &NibbleVnniTile.Tile2Q4_0,
            };
            table[(int)GgmlType.IQ4_NL] = table[(int)GgmlType.IQ4_NL] with
            {
                Dot = &NibbleVnniTile.DotIQ4_NL,
                Tile = &NibbleVnniTile.TileIQ4_NL,
                Tile2 = &NibbleVnniTile.Tile2IQ4_NL,
                QuantizeActivations = &NibbleActivations.QuantizeForLevelsPlus128,
            };
        }
        // Q8_0 decode with 512-bit vpdpbusd where AVX512-VNNI runs (batches take the matmul variant, Q8_0FloatTile).
        if (Q8_0VnniDot.IsSupported)
        {
            table[(int)GgmlType.Q8_0] = DecodeOnly(GgmlType.Q8_0, GgmlType.Q8_0, Q8_0VnniActivations.GroupSize, 4 * Q8_0Activations.BlockBytes,
                Q8_0VnniActivations.GroupBytes, &Q8_0VnniDot.Dot, &Q8_0VnniActivations.Quantize, batchTokens: 2);
        }
        // Q5_0 decode on the nibble dots' scheme with the fifth bit added (512-bit, or the AVX2 octet form).
        if (Q5_0PackedDot.IsSupported)
        {
            table[(int)GgmlType.Q5_0] = DecodeOnly(GgmlType.Q5_0, GgmlType.Q8_0, NibbleActivations.GroupSize, Q5_0PackedDot.GroupBytes,
                NibbleActivations.GroupBytes, &Q5_0PackedDot.Dot, &NibbleActivations.Quantize, batchTokens: 8);
        }
        else if (Q5_0OctetDot.IsSupported)
        {
            table[(int)GgmlType.Q5_0] = DecodeOnly(GgmlType.Q5_0, GgmlType.Q8_0, PairActivations.GroupSize, Q5_0OctetDot.GroupBytes,
                PairActivations.GroupBytes, &Q5_0OctetDot.Dot, &OctetActivations.Quantize);
        }
        // F16 decode with F16C where the machine code runs (plain activations; its four-token dot serves batches below
        // 10 tokens where FloatBatchMatMul does not take them), else F16 and BF16 over activations prepared in
        // the split dots' order (F16's times 2^64).
        if (F16cDot.IsSupported)
        {
            table[(int)GgmlType.F16] = DecodeOnly(GgmlType.F16, GgmlType.F32, F16cDot.BlockSize, F16cDot.BlockSize * 2,
                F16cDot.BlockSize * sizeof(float), &F16cDot.Dot, &F16cDot.Prepare, batchTokens: 10) with { Dot4 = &F16cDot.Dot4 };
        }
        else if (F16SplitDot.IsSupported)
        {
            table[(int)GgmlType.F16] = DecodeOnly(GgmlType.F16, GgmlType.F32, F16SplitDot.BlockSize, F16SplitDot.BlockSize * 2,
                F16SplitDot.BlockSize * sizeof(float), &F16SplitDot.Dot, &F16SplitDot.Prepare);
        }
        if (BF16SplitDot.IsSupported)
        {
            // Batches of 2-3 tokens (no tile without AVX512-BF16) read each row once for all of them.
            table[(int)GgmlType.BF16] = DecodeOnly(GgmlType.BF16, GgmlType.F32, BF16SplitDot.BlockSize, BF16SplitDot.BlockSize * 2,
                BF16SplitDot.BlockSize * sizeof(float), &BF16SplitDot.Dot, &BF16SplitDot.Prepare) with
            {
                Dot2 = IsaSupport.Avx512 ? null : &BF16SplitDot.DotMany<TwoTokens>,
                Dot3 = IsaSupport.Avx512 ? null : &BF16SplitDot.DotMany<ThreeTokens>,
            };
        }
        if (Q5_KPackedDot.IsSupported)
        {
            table[(int)GgmlType.Q5_K] = DecodeOnly(GgmlType.Q5_K, GgmlType.Q8_K, SubBlockActivations.BlockSize, Q5_KDot.BlockBytes,
                SubBlockActivations.BlockBytes, &Q5_KPackedDot.Dot, &SubBlockActivations.Quantize);
        }
        // Q2_K and Q3_K decode on their 2-bit planes at 512 bits, over activations in the planes' order.
        if (Q2_KPackedDot.IsSupported)
        {
            table[(int)GgmlType.Q2_K] = DecodeOnly(GgmlType.Q2_K, GgmlType.Q8_K, CrumbActivations.BlockSize, Q2_KDot.BlockBytes,
                CrumbActivations.BlockBytes, &Q2_KPackedDot.Dot, &CrumbActivations.Quantize);
        }
        if (Q3_KPackedDot.IsSupported)
        {
            table[(int)GgmlType.Q3_K] = DecodeOnly(GgmlType.Q3_K, GgmlType.Q8_K, CrumbActivations.BlockSize, Q3_KDot.BlockBytes,
                CrumbActivations.BlockBytes, &Q3_KPackedDot.Dot, &CrumbActivations.Quantize);
        }
        // Q6_K decode at 512 bits over the plain Q8_K activations (also the output head of most K-quant mixes).
        if (Q6_KPackedDot.IsSupported)
        {
            table[(int)GgmlType.Q6_K] = DecodeOnly(GgmlType.Q6_K, GgmlType.Q8_K, Q8_KActivations.BlockSize, Q6_KDot.BlockBytes,
                Q8_KActivations.BlockBytes, &Q6_KPackedDot.Dot, &Q8_KActivations.Quantize);
        }
        if (Q4_KPackedDot.IsSupported)
        {
            table[(int)GgmlType.Q4_K] = new QuantKernel
            {
                WeightType = GgmlType.Q4_K,
                ActivationType = GgmlType.Q8_K,
                BlockSize = SubBlockActivations.BlockSize,
                WeightBlockBytes = Q4_KDot.BlockBytes,
                ActivationBlockBytes = SubBlockActivations.BlockBytes,
                Dot = &Q4_KPackedDot.Dot,
                StreamsWeights = true,
                Dot4 = &Q4_KPackedDot.Dot4,
                QuantizeActivations = &SubBlockActivations.Quantize,
            };
        }
        return table;
    }

    /// <summary>A packed entry for decode: one streaming dot over its own activation layout. Batches of
    /// <paramref name="batchTokens"/> or more keep the plain entry's many-token kernels (<see cref="TryGetForMatMul"/>);
    /// fewer run this dot per token (or a <c>Dot4</c> the entry adds). Two or three tokens never fill a tile, so the
    /// faster dot always serves them (IQ4_NL's plain dot ran pp2 slower than pp1); up to seven where it beat the plain
    /// 4 x 4 tile on TinyLlama-shape batches of 4-7 tokens (IQ4_NL and Q5_0 at 512 bits +35-60%, Q4_0's AVX2 pair dot
    /// +0-7%; BF16's split dot was 8% slower, IQ4_NL's pair dot 5%), up to nine for F16's four-token F16C dot, which
    /// beat the float panels at 8 and 9 tokens (68-70 against 60-67 t/s; 10 tokens: 66 against 75).</summary>
    private static QuantKernel DecodeOnly(GgmlType weightType, GgmlType activationType, int blockSize, int weightBlockBytes,
        int activationBlockBytes, delegate*<byte*, byte*, int, float> dot, delegate*<float*, int, byte*, void> prepare,
        int batchTokens = MatMul.MicroTokens) => new()
    {
        BatchTokens = batchTokens,
        WeightType = weightType,
        ActivationType = activationType,
        BlockSize = blockSize,
        WeightBlockBytes = weightBlockBytes,
        ActivationBlockBytes = activationBlockBytes,
        Dot = dot,
        StreamsWeights = true,
        QuantizeActivations = prepare,
    };

    /// <summary>The packed entry of a 4-bit type in Q4_0's block layout (see <see cref="INibbleLevels"/>), with the
    /// 512-bit tiles for small batches where <paramref name="tiles"/> (else batches below 8 tokens run its dot), or
    /// the AVX2 octet dot, which serves batches below <paramref name="octetBatchTokens"/> (<see cref="DecodeOnly"/>),
    /// four tokens at a time where <paramref name="fourTokens"/> and two at a time for the two or three left (one
    /// pass over each row for two tokens: IQ4_NL pp2 19-22 -> 24-37 t/s, Q4_0 pp3 33-41 -> 39-54, alternating).</summary>
    private static QuantKernel Nibbles<TLevels>(GgmlType type, bool tiles, int octetBatchTokens, bool fourTokens) where TLevels : INibbleLevels
    {
        if (NibblePackedDot<TLevels>.IsSupported)
        {
            return new QuantKernel
            {
                WeightType = type,
                ActivationType = GgmlType.Q8_0,
                BlockSize = NibbleActivations.GroupSize,
                WeightBlockBytes = NibblePackedDot<TLevels>.GroupBytes,
                ActivationBlockBytes = NibbleActivations.GroupBytes,
                Dot = &NibblePackedDot<TLevels>.Dot,
                StreamsWeights = true,
                Tile = tiles ? &NibblePackedDot<TLevels>.Tile : null,
                Tile2 = tiles ? &NibblePackedDot<TLevels>.Tile2 : null,
                BatchTokens = 8,
                QuantizeActivations = &NibbleActivations.Quantize,
            };
        }
        if (NibbleOctetDot<TLevels>.IsSupported)
        {
            return DecodeOnly(type, GgmlType.Q8_0, PairActivations.GroupSize, NibbleOctetDot<TLevels>.GroupBytes,
                NibbleOctetDot<TLevels>.PairGroupBytes, &NibbleOctetDot<TLevels>.Dot, &NibbleOctetDot<TLevels>.QuantizeActivations, octetBatchTokens) with
            {
                Dot4 = fourTokens ? &NibbleOctetDot<TLevels>.DotMany<FourTokens> : null,
                Dot2 = &NibbleOctetDot<TLevels>.DotMany<TwoTokens>,
                Dot3 = &NibbleOctetDot<TLevels>.DotMany<ThreeTokens>,
            };
        }
        return default;
    }

    /// <summary>Q4_0 batches below this many tokens take the AVX2 octet dot (four tokens at a time, then two, then one)
    /// instead of the int8 panel: without AVX-512, TinyLlama-shape batches, alternating, the four-token form ran pp4
    /// 44-53 against 27-32 t/s, pp6 47-49 against 33-40, pp8 46-52 against 39-43; pp10 level; pp12-16 behind. With
    /// AVX-512 (not measurable on that machine) the threshold stays 8.</summary>
    private static int Q4_0OctetBatchTokens => IsaSupport.Avx512 ? 8 : 10;

    private static QuantKernel Create(GgmlType weightType)
    {
        return weightType switch
        {
            GgmlType.F32 => Float<F32Rows>(GgmlType.F32, 4, F32Dot.Paths),
            GgmlType.F16 => Float<F16Rows>(GgmlType.F16, 2, F16Dot.Paths),
            GgmlType.BF16 => Float<BF16Rows>(GgmlType.BF16, 2, BF16Dot.Paths),
            GgmlType.Q4_0 => (Integer(GgmlType.Q4_0, GgmlType.Q8_0, Q4_0Dot.BlockBytes, Q4_0Dot.Paths) with
            {
                Tile = IsaSupport.Avx512 ? &Q4_0Tile512.Compute : TileFor<Q4_0Blocks>(),
                StreamsWeights = IsaSupport.Avx2,
            }).WithNibblePanel<Q4_0PanelBlocks>(Q4_0OctetBatchTokens),
            GgmlType.Q4_1 => (Integer(GgmlType.Q4_1, GgmlType.Q8_1, Q4_1Dot.BlockBytes, Q4_1Dot.Paths) with { StreamsWeights = IsaSupport.Avx2 }).WithNibblePanel<Q4_1PanelBlocks>(4),
            GgmlType.Q5_0 => (Integer(GgmlType.Q5_0, GgmlType.Q8_0, Q5_0Dot.BlockBytes, Q5_0Dot.Paths) with { Tile = TileFor<Q5_0Blocks>() }).WithPanel<Q5_0PanelBlocks>(5),
            GgmlType.Q5_1 => (Integer(GgmlType.Q5_1, GgmlType.Q8_1, Q5_1Dot.BlockBytes, Q5_1Dot.Paths) with { StreamsWeights = IsaSupport.Avx2 }).WithPanel<Q5_1PanelBlocks>(4),
            GgmlType.Q8_0 => (Integer(GgmlType.Q8_0, GgmlType.Q8_0, Q8_0Activations.BlockBytes, Q8_0Dot.Paths) with
            {
                Dot2 = IsaSupport.Avx2 ? &Q8_0Dot.DotManyAvx2<TwoTokens> : null,
                Dot3 = IsaSupport.Avx2 ? &Q8_0Dot.DotManyAvx2<ThreeTokens> : null,
                Dot4 = IsaSupport.Avx2 ? &Q8_0Dot.DotManyAvx2<FourTokens> : null,
                StreamsWeights = IsaSupport.Avx2,
            })
                .WithEightBitPanel<Q8_0PanelBlocks>(2, signedMinTokens: 5, &Q8_0Records.Repack),
            GgmlType.IQ4_NL => (Integer(GgmlType.IQ4_NL, GgmlType.Q8_0, IQ4_NLDot.BlockBytes, IQ4_NLDot.Paths) with { Tile = TileFor<IQ4_NLBlocks>(), StreamsWeights = IsaSupport.Avx2 })
                .WithNibblePanel<IQ4_NLPanelBlocks>(NibbleVnniTile.IsSupported ? 8 : 4),
            GgmlType.Q2_K => (Integer(GgmlType.Q2_K, GgmlType.Q8_K, Q2_KDot.BlockBytes, Q2_KDot.Paths) with { Dot4 = IsaSupport.Avx2 ? &Q2_KDot.DotManyAvx2<FourTokens> : null, Dot3 = IsaSupport.Avx2 ? &Q2_KDot.DotManyAvx2<ThreeTokens> : null, Dot2 = IsaSupport.Avx2 ? &Q2_KDot.Dot2Avx2 : null, StreamsWeights = IsaSupport.Avx2 }).WithPanel<Q2_KPanelBlocks>(IsaSupport.AvxVnni ? 16 : 128),
            GgmlType.Q3_K => (Integer(GgmlType.Q3_K, GgmlType.Q8_K, Q3_KDot.BlockBytes, Q3_KDot.Paths) with { Dot4 = IsaSupport.Avx2 ? &Q3_KDot.DotManyAvx2<FourTokens> : null, Dot3 = IsaSupport.Avx2 ? &Q3_KDot.DotManyAvx2<ThreeTokens> : null, Dot2 = IsaSupport.Avx2 ? &Q3_KDot.Dot2Avx2 : null, StreamsWeights = IsaSupport.Avx2 }).WithPanel<Q3_KPanelBlocks>(IsaSupport.AvxVnni ? 8 : 24),
            GgmlType.Q4_K => (Integer(GgmlType.Q4_K, GgmlType.Q8_K, Q4_KDot.BlockBytes, Q4_KDot.Paths) with { Dot4 = IsaSupport.Avx2 ? &Q4_KDot.DotManyAvx2<FourTokens> : null, Dot3 = IsaSupport.Avx2 ? &Q4_KDot.DotManyAvx2<ThreeTokens> : null, Dot2 = IsaSupport.Avx2 ? &Q4_KDot.Dot2Avx2 : null, StreamsWeights = IsaSupport.Avx2 }).WithNibblePanel<Q4_KPanelBlocks>(16),
            GgmlType.Q5_K => (Integer(GgmlType.Q5_K, GgmlType.Q8_K, Q5_KDot.BlockBytes, Q5_KDot.Paths) with { Dot4 = IsaSupport.Avx2 ? &Q5_KDot.DotManyAvx2<FourTokens> : null, Dot3 = IsaSupport.Avx2 ? &Q5_KDot.DotManyAvx2<ThreeTokens> : null, Dot2 = IsaSupport.Avx2 ? &Q5_KDot.Dot2Avx2 : null, StreamsWeights = IsaSupport.Avx2 }).WithPanel<Q5_KPanelBlocks>(IsaSupport.AvxVnni ? 6 : 16),
            GgmlType.Q6_K => (Integer(GgmlType.Q6_K, GgmlType.Q8_K, Q6_KDot.BlockBytes, Q6_KDot.Paths) with { Dot4 = IsaSupport.Avx2 ? &Q6_KDot.DotManyAvx2<FourTokens> : null, Dot3 = IsaSupport.Avx2 ? &Q6_KDot.DotManyAvx2<ThreeTokens> : null, Dot2 = IsaSupport.Avx2 ? &Q6_KDot.Dot2Avx2 : null, StreamsWeights = IsaSupport.Avx2 }).WithPanel<Q6_KPanelBlocks>(IsaSupport.AvxVnni ? 8 : 20),
            _ => default,
        };
    }

    /// <summary>The widest supported path (paths are listed narrow to wide; the scalar one always runs).</summary>
    private static delegate*<byte*, byte*, int, float> Best(DotPath[] paths) => paths.Last(p => p.IsSupported).Dot;

    private static delegate*<byte*, nint, byte*, nint, int, float*, nint, void> TileFor<TBlocks>() where TBlocks : IInt8Blocks =>
        IsaSupport.Avx2 ? &Int8TileKernel<TBlocks>.Compute : null;

    /// <summary>The int8 panel matmul's repacking and tile for <typeparamref name="TBlocks"/>, on AVX2, from
    /// <paramref name="minTokens"/> tokens. Each type's value was measured on TinyLlama-shape batches of 2-16 tokens,
    /// alternating, against its 4x4 tiles, Dot4 and packed dots. A last group of fewer than 8 tokens costs only what it
    /// holds, and the 4-bit types repack from their packed bytes, so the panel pays from 4 tokens for Q4_1, Q5_1 and
    /// IQ4_NL, 5 for Q5_0 (1.31-1.52x its 4x4 tile at 5 tokens, level at 4), 8 for Q4_0 with AVX-512, for IQ4_NL with
    /// its VNNI 4x4 tile (pp4 103-104 -> 189-198 t/s, pp8 level) and for Q6_K with VNNI; Q4_0's four-token octet dot
    /// stays ahead below 10 without AVX-512 (<see cref="Q4_0OctetBatchTokens"/>). Without AVX-VNNI the K-quants'
    /// many-token dots (paired in one process on the three shapes, Dot4 against the panel) stay ahead of it longer:
    /// Q4_K to 12 tokens (1.10-1.27x at 6-12, level at 16), Q5_K to 12 (1.04-1.47x at 6-12, level at 16), Q6_K to 16
    /// (1.12-1.24x, level at 20), Q3_K to 20 (1.07-1.81x at 8-20, level at 24-28) and Q2_K to 96 (1.15-1.88x at 16-96,
    /// level at 128-512: the panel repacks its 2-bit levels for little); with AVX-VNNI the panel's tile sums with
    /// vpdpbusd and the earlier values (unmeasured against these dots) stay.</summary>
    private static QuantKernel WithPanel<TBlocks>(this QuantKernel kernel, int minTokens,
        delegate*<byte*, nint, int, int, byte*, void> repack = null) where TBlocks : IPanelBlocks => !IsaSupport.Avx2 ? kernel : kernel with
    {
        PanelRepack = repack != null ? repack : &PanelRecords.Repack<TBlocks>,
        PanelTile = &Int8PanelKernel.Tile<TBlocks>,
        PanelPairTile = Int8PanelKernel.PairApplies<TBlocks>() ? &Int8PanelKernel.TilePair<TBlocks> : null,
        PanelMinTokens = minTokens,
        PanelSignedActivations = Int8PanelKernel.SignedActivations<TBlocks>(),
    };

    /// <summary>The panel for 8-bit levels (Q8_0; IQ4_NL takes <see cref="WithNibblePanel{TBlocks}"/>, one threshold
    /// for both forms, and the kernel picks the form by <see cref="Panel.Int8PanelKernel.SignedActivations{TBlocks}"/>).
    /// With AVX-VNNI, vpdpbusd sums their products without an int16 step; on AVX2 without it the kernel's sign-trick
    /// path over signed activations (no int16 sum of two 8-bit products can saturate there). That path beat the types' 4x4 tiles on TinyLlama-shape prompts (pp512 Q8_0
    /// 108 -> 154 t/s, IQ4_NL 97 -> 150, where the levels as two 4-bit planes had reached 97). Since the repacking
    /// requests rows ahead and a short last token group costs what it holds, the panel also wins small batches: Q8_0
    /// from 2 tokens with VNNI (pp2 33 -> 43 t/s, pp6 64 -> 98-110) and from 5 on AVX2 (pp16 96 -> 123, where the
    /// threshold had been 32; at 4 tokens Q8_0's four-token dot, row by row, ran 1.07-1.26x the panel, at 5-8 tokens
    /// 0.77-0.97x, paired on TinyLlama's shapes with the weights from memory); IQ4_NL from 4 either way.</summary>
    private static QuantKernel WithEightBitPanel<TBlocks>(this QuantKernel kernel, int minTokens, int signedMinTokens,
        delegate*<byte*, nint, int, int, byte*, void> repack = null) where TBlocks : IPanelBlocks =>
        kernel.WithPanel<TBlocks>(IsaSupport.AvxVnni ? minTokens : signedMinTokens, repack);

    /// <summary>The panel for the 4-bit types, repacked from their packed nibbles (<see cref="NibbleRecords"/>).</summary>
    private static QuantKernel WithNibblePanel<TBlocks>(this QuantKernel kernel, int minTokens) where TBlocks : INibblePanelBlocks =>
        kernel.WithPanel<TBlocks>(minTokens, &NibbleRecords.Repack<TBlocks>);

    /// <summary>A float weight type: F32 activations, the 4x4 FMA tile on AVX2, and its SIMD dots stream their weights.</summary>
    private static QuantKernel Float<TRows>(GgmlType type, int elementBytes, DotPath[] paths) where TRows : IFloatRows => new()
    {
        WeightType = type,
        ActivationType = GgmlType.F32,
        BlockSize = 1,
        WeightBlockBytes = elementBytes,
        ActivationBlockBytes = sizeof(float),
        Dot = Best(paths),
        Tile = IsaSupport.Avx2 ? &FloatTileKernel<TRows>.Compute : null,
        StreamsWeights = IsaSupport.Avx2,
        RowsToSingle = &TRows.ToSingle,
    };

    /// <summary>A weight type whose dot product runs on integer quants of <paramref name="activationType"/>.</summary>
    private static QuantKernel Integer(GgmlType type, GgmlType activationType, int blockBytes, DotPath[] paths) => new()
    {
        WeightType = type,
        ActivationType = activationType,
        BlockSize = activationType == GgmlType.Q8_K ? Q8_KActivations.BlockSize : Q8_0Activations.BlockSize,
        WeightBlockBytes = blockBytes,
        ActivationBlockBytes = activationType switch
        {
            GgmlType.Q8_0 => Q8_0Activations.BlockBytes,
            GgmlType.Q8_1 => Q8_1Activations.BlockBytes,
            _ => Q8_KActivations.BlockBytes,
        },
        Dot = Best(paths),
        QuantizeActivations = activationType switch
        {
            GgmlType.Q8_0 => &Q8_0Activations.Quantize,
            GgmlType.Q8_1 => &Q8_1Activations.Quantize,
            _ => &Q8_KActivations.Quantize,
        },
    };
}
