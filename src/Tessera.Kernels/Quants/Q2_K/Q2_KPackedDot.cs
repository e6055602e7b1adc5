using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.Q2_K;

/// <summary>
/// Q2_K weights · <see cref="CrumbActivations"/> with AVX-512 (F, BW): the block's 64 level bytes in one register,
/// four shifts of it against the four 64-byte activation rows. Each product's 32 int16 lanes cover four 16-value
/// groups (2j, 2j + 1, 8 + 2j, 9 + 2j), so vpermw spreads the 16 group scales to them once per row
/// (<see cref="GroupScaleLanes"/>). The mins go against the 16 group sums in float, one lane per group, with no
/// horizontal sum per block. For decode (matvec) only: batches keep the plain entry's panel.
/// </summary>
internal static unsafe class Q2_KPackedDot
{
    public static bool IsSupported => Avx512BW.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var (lanes0, lanes1, lanes2, lanes3) = GroupScaleLanes.Indices();
        var mask = Vector512.Create((byte)3);
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < k / CrumbActivations.BlockSize; b++, weights += Q2_KDot.BlockBytes, activations += CrumbActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, Q2_KDot.BlockBytes);
            var codes = Vector128.Load(weights);
            var scales = Avx2.ConvertToVector256Int16(codes & Vector128.Create((byte)0x0F)).ToVector512();
            var crumbs = Vector512.Load(weights + Q2_KDot.QuantsOffset).AsUInt16();
            var sums = GroupScaleLanes.Scaled(crumbs.AsByte() & mask, GroupScaleLanes.Spread(scales, lanes0), activations)
                + GroupScaleLanes.Scaled((crumbs >> 2).AsByte() & mask, GroupScaleLanes.Spread(scales, lanes1), activations + 64)
                + GroupScaleLanes.Scaled((crumbs >> 4).AsByte() & mask, GroupScaleLanes.Spread(scales, lanes2), activations + 128)
                + GroupScaleLanes.Scaled((crumbs >> 6).AsByte() & mask, GroupScaleLanes.Spread(scales, lanes3), activations + 192);
            float d = halfTable[*(ushort*)(weights + Q2_KDot.ScaleOffset)];
            float dmin = halfTable[*(ushort*)(weights + Q2_KDot.ScaleOffset + 2)];
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), Vector512.Create(d * *(float*)(activations + CrumbActivations.ScaleOffset)), acc);
            // Σ_g (-dmin * min_g) * (d_x * Σ x_g), one lane per group.
            var mins = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.ShiftRightLogical(codes, 4)));
            acc = Avx512F.FusedMultiplyAdd(mins * Vector512.Create(-dmin), Vector512.Load((float*)(activations + CrumbActivations.SumsOffset)), acc);
        }
        return Vector512.Sum(acc);
    }
}
