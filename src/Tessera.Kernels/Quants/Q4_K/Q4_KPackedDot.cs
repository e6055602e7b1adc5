using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q4_K;

/// <summary>
/// Q4_K weights · <see cref="SubBlockActivations"/> with AVX-512 (F, BW, VBMI), from the file layout. Per 256-value
/// block and weight row: two 64-byte loads of nibbles, each split into low and high levels (sub-blocks {0,2}/{1,3},
/// then {4,6}/{5,7}); the six-bit scales decoded once into int16 lanes (one vpermb per pair of sub-blocks) so that
/// vpmaddubsw then vpmaddwd with them gives Σ scale_j (levels · x) in int32 lanes (|lane| &lt;= 2 * 63 * 3810);
/// the mins term Σ_j (-dmin * min_j) * (d_x * Σ x_j) is one 8-lane FMA against the activation's precomputed sums.
/// <see cref="Q5_K.Q5_KPackedDot"/> shares the scale, level and mins steps. The matmul uses the one-row, four-token
/// <see cref="Dot4"/>: with activations as memory operands, a row decoded once for four tokens costs as few
/// instructions per product as a larger tile, and needs far fewer registers.
/// </summary>
internal static unsafe class Q4_KPackedDot
{
    private const int ScalesOffset = 4;
    private const int QuantsOffset = 16;

    public static bool IsSupported => Avx512BW.IsSupported && Avx512Vbmi.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var (lanes02, lanes13, lanes46, lanes57) = ScaleIndices();
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < k / SubBlockActivations.BlockSize; b++, weights += Q4_KDot.BlockBytes, activations += SubBlockActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, Q4_KDot.BlockBytes);
            var (scales, mins) = KQuantScales.DecodePacked(weights + ScalesOffset);
            var scaleBytes = ScaleBytes(scales);
            var (low, high) = Levels(weights + QuantsOffset);
            var sums = Scaled(low, high, ScaleLanes(scaleBytes, lanes02), ScaleLanes(scaleBytes, lanes13), activations);
            (low, high) = Levels(weights + QuantsOffset + 64);
            sums += Scaled(low, high, ScaleLanes(scaleBytes, lanes46), ScaleLanes(scaleBytes, lanes57), activations + 128);
            var d = Vector512.Create(halfTable[*(ushort*)weights]);
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), d * Scale(activations), acc);
            acc = MinsStep(acc, Mins(mins, halfTable[*(ushort*)(weights + 2)]), activations);
        }
        return Vector512.Sum(acc);
    }

    /// <summary>One weight row against four tokens a stride apart (the matmul's micro-kernel): each block's nibbles and
    /// scales are decoded once for the four. Per half block (four sub-blocks) the sums are converted and scaled, which
    /// keeps the live registers (4 accumulators, 4 scale vectors, levels) well under 32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4(byte* weights, byte* activations, nint stride, int k, float* results)
    {
        float* halfTable = HalfBits.Table;
        var (lanes02, lanes13, lanes46, lanes57) = ScaleIndices();
        byte* a0 = activations, a1 = a0 + stride, a2 = a1 + stride, a3 = a2 + stride;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        for (int b = 0; b < k / SubBlockActivations.BlockSize; b++, weights += Q4_KDot.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, Q4_KDot.BlockBytes);
            nint ao = b * SubBlockActivations.BlockBytes;
            var (scales, mins) = KQuantScales.DecodePacked(weights + ScalesOffset);
            var scaleBytes = ScaleBytes(scales);
            var d = Vector512.Create(halfTable[*(ushort*)weights]);
            var (low, high) = Levels(weights + QuantsOffset);
            var lowScales = ScaleLanes(scaleBytes, lanes02);
            var highScales = ScaleLanes(scaleBytes, lanes13);
            c0 = HalfStep(c0, low, high, lowScales, highScales, d, a0 + ao, a0 + ao);
            c1 = HalfStep(c1, low, high, lowScales, highScales, d, a1 + ao, a1 + ao);
            c2 = HalfStep(c2, low, high, lowScales, highScales, d, a2 + ao, a2 + ao);
            c3 = HalfStep(c3, low, high, lowScales, highScales, d, a3 + ao, a3 + ao);
            (low, high) = Levels(weights + QuantsOffset + 64);
            lowScales = ScaleLanes(scaleBytes, lanes46);
            highScales = ScaleLanes(scaleBytes, lanes57);
            c0 = HalfStep(c0, low, high, lowScales, highScales, d, a0 + ao + 128, a0 + ao);
            c1 = HalfStep(c1, low, high, lowScales, highScales, d, a1 + ao + 128, a1 + ao);
            c2 = HalfStep(c2, low, high, lowScales, highScales, d, a2 + ao + 128, a2 + ao);
            c3 = HalfStep(c3, low, high, lowScales, highScales, d, a3 + ao + 128, a3 + ao);
            var minValues = Mins(mins, halfTable[*(ushort*)(weights + 2)]);
            c0 = MinsStep(c0, minValues, a0 + ao);
            c1 = MinsStep(c1, minValues, a1 + ao);
            c2 = MinsStep(c2, minValues, a2 + ao);
            c3 = MinsStep(c3, minValues, a3 + ao);
        }
        results[0] = Vector512.Sum(c0);
        results[1] = Vector512.Sum(c1);
        results[2] = Vector512.Sum(c2);
        results[3] = Vector512.Sum(c3);
    }

    /// <summary>The eight decoded scales in bytes 0..7 of a vector whose other bytes are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<byte> ScaleBytes(ulong scales) => Vector128.CreateScalar(scales).AsByte().ToVector256().ToVector512();

    /// <summary>int16 lanes 0..15 = scale of one sub-block, lanes 16..31 = of another, as <paramref name="index"/>
    /// (<see cref="ScaleIndex"/>) picks them (vpermb takes the scale byte, and byte 8, a zero, above it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<short> ScaleLanes(Vector512<byte> scaleBytes, Vector512<byte> index) =>
        Avx512Vbmi.PermuteVar64x8(scaleBytes, index).AsInt16();

    /// <summary>The vpermb indices of the four sub-block pairs (0, 2), (1, 3), (4, 6), (5, 7), made once before a loop:
    /// built inside one, the JIT kept each in a stack slot and rebuilt it with two inserts per block (a 64-byte store
    /// and reload each). Inlined: as a call (once per row) it returned the four through memory and a stub, 8% of
    /// Q4_K_M decode.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector512<byte>, Vector512<byte>, Vector512<byte>, Vector512<byte>) ScaleIndices() =>
        (ScaleIndex(0, 2), ScaleIndex(1, 3), ScaleIndex(4, 6), ScaleIndex(5, 7));

    /// <summary>int16 lanes 0..15 pick byte <paramref name="low"/> and lanes 16..31 byte <paramref name="high"/>, each with
    /// byte 8 (a zero) above it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> ScaleIndex(byte low, byte high) =>
        Avx512F.InsertVector256(Vector512.Create((ushort)(low | 8 << 8)), Vector256.Create((ushort)(high | 8 << 8)), 1).AsByte();

    /// <summary>-dmin * min_j in lanes 0..7, zero in 8..15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Mins(ulong mins, float dmin) =>
        (KQuantScales.Floats(mins) * Vector256.Create(-dmin)).ToVector512();

    /// <summary>64 nibble bytes: low nibbles (levels of two even sub-blocks) and high nibbles (the two odd ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector512<byte> Low, Vector512<byte> High) Levels(byte* nibbles)
    {
        var bytes = Vector512.Load(nibbles);
        var mask = Vector512.Create((byte)0x0F);
        return (bytes & mask, Avx512BW.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & mask);
    }

    /// <summary>Σ scale_j (levels · x) over the four sub-blocks one 64-byte load of nibbles covers, in 16 int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<int> Scaled(Vector512<byte> low, Vector512<byte> high, Vector512<short> lowScales, Vector512<short> highScales, byte* x) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(low, Vector512.Load((sbyte*)x)), lowScales)
        + Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(high, Vector512.Load((sbyte*)(x + 64))), highScales);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Scale(byte* block) => Vector512.Create(*(float*)(block + SubBlockActivations.ScaleOffset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> HalfStep(Vector512<float> acc, Vector512<byte> low, Vector512<byte> high, Vector512<short> lowScales,
        Vector512<short> highScales, Vector512<float> d, byte* x, byte* block) =>
        Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Scaled(low, high, lowScales, highScales, x)), d * Scale(block), acc);

    /// <summary>acc += Σ_j (-dmin * min_j) * (d_x * Σ x_j); lanes 8..15 of both vectors are zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> MinsStep(Vector512<float> acc, Vector512<float> mins, byte* block) =>
        Avx512F.FusedMultiplyAdd(mins, Vector512.Load((float*)(block + SubBlockActivations.SumsOffset)), acc);
}
