using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Numerics;
using Tessera.Kernels.Quants.Q2_K;

namespace Tessera.Kernels.Quants.Q3_K;

/// <summary>
/// Q3_K weights · <see cref="CrumbActivations"/> with AVX-512 (F, BW): <see cref="Q2_KPackedDot"/>'s steps with the
/// high bit added. Row j of the activations holds values 32j.. and 128 + 32j.., whose high bits are bits j and 4 + j
/// of hmask[l]; hmask in the low half of a register and hmask &gt;&gt; 4 in the high half lines both up with bit j.
/// As in <see cref="Q3_KDot"/>, levels are taken as 0..7 (high bit set adds 4) and 4 Σ_g scale_g (d_x Σ x_g) is
/// taken off, here in float, one lane per group. For decode (matvec) only: batches keep the plain entry's panel.
/// </summary>
internal static unsafe class Q3_KPackedDot
{
    public static bool IsSupported => Avx512BW.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k)
    {
        float* halfTable = HalfBits.Table;
        var (lanes0, lanes1, lanes2, lanes3) = GroupScaleLanes.Indices();
        var low = Vector512.Create((byte)3);
        var high = Vector512.Create((byte)4);
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < k / CrumbActivations.BlockSize; b++, weights += Q3_KDot.BlockBytes, activations += CrumbActivations.BlockBytes)
        {
            Memory.WeightPrefetch.Stream(weights, Q3_KDot.BlockBytes);
            var codes = Q3_KDot.DecodeScalesPacked(weights + Q3_KDot.ScalesOffset);
            var scales = Avx2.ConvertToVector256Int16(codes).ToVector512();
            var hmask = Vector256.Load(weights).AsUInt16();
            // Shifted left by 2, bit j of each byte lands on bit 2 + j, which row j shifts down to bit 2 (0x04).
            var highBits = Avx512F.InsertVector256((hmask << 2).ToVector512Unsafe(), (hmask >> 2), 1);
            var crumbs = Vector512.Load(weights + Q3_KDot.QuantsOffset).AsUInt16();
            var sums = GroupScaleLanes.Scaled((crumbs.AsByte() & low) | (highBits.AsByte() & high),
                    GroupScaleLanes.Spread(scales, lanes0), activations)
                + GroupScaleLanes.Scaled(((crumbs >> 2).AsByte() & low) | ((highBits >> 1).AsByte() & high),
                    GroupScaleLanes.Spread(scales, lanes1), activations + 64)
                + GroupScaleLanes.Scaled(((crumbs >> 4).AsByte() & low) | ((highBits >> 2).AsByte() & high),
                    GroupScaleLanes.Spread(scales, lanes2), activations + 128)
                + GroupScaleLanes.Scaled(((crumbs >> 6).AsByte() & low) | ((highBits >> 3).AsByte() & high),
                    GroupScaleLanes.Spread(scales, lanes3), activations + 192);
            float d = halfTable[*(ushort*)(weights + Q3_KDot.ScaleOffset)];
            var dd = Vector512.Create(d * *(float*)(activations + CrumbActivations.ScaleOffset));
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sums), dd, acc);
            var groupScales = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(codes));
            acc = Avx512F.FusedMultiplyAdd(groupScales * Vector512.Create(-4 * d), Vector512.Load((float*)(activations + CrumbActivations.SumsOffset)), acc);
        }
        return Vector512.Sum(acc);
    }
}
