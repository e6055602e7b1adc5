using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants;

/// <summary>Writes one weight row's four token accumulators of a 4x4 tile: y[t * yStride + row] = Σ lanes of t_t.</summary>
internal static unsafe class TileResults
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* y, nint yStride, int row, Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3)
    {
        y[row] = Vector512.Sum(t0);
        y[yStride + row] = Vector512.Sum(t1);
        y[2 * yStride + row] = Vector512.Sum(t2);
        y[3 * yStride + row] = Vector512.Sum(t3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(float* y, nint yStride, int row, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3)
    {
        y[row] = Vector256.Sum(t0);
        y[yStride + row] = Vector256.Sum(t1);
        y[2 * yStride + row] = Vector256.Sum(t2);
        y[3 * yStride + row] = Vector256.Sum(t3);
    }
}
