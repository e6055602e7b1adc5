using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Numerics;

namespace Tessera.Kernels.Quants.F16;

/// <summary>
/// F16 weight row · prepared F32 activations for decode, with the half-to-float conversion cut to about 2.5 operations
/// per 8 weights (against 4 with the rebias multiply, which .NET's missing F16C leaves to integer arithmetic):
/// <list type="number">
/// <item>The rebias factor moves to the activations. A finite half's float bits are sign | magnitude &lt;&lt; 13; read
///   as a float that is the weight times 2^-112. The activations are stored times 2^64 (<see cref="Prepare"/>), so each
///   product is w x 2^-48 and the sum is scaled back once. Products only leave the normal float range below
///   |w x| = 2^-78, and activations overflow only above 2^64.</item>
/// <item>The bits are built in 16-bit lanes, 16 or 32 halves per instruction: the high word is the half shifted right
///   by 3 with its sign kept (vpsraw, then a mask), the low word the half's three lowest bits shifted to its top
///   (vpsllw). vpunpcklwd / vpunpckhwd join them into floats, which comes out in the order the unpacks leave them
///   (per 128-bit lane, values 0-3 then 4-7), so <see cref="Prepare"/> stores the activations in that order.</item>
/// <item>Blocks of 32 halves with an Inf or NaN (exponent 31) fix those lanes' exponent to 255 and keep the payload.</item>
/// </list>
/// Measured on TinyLlama-shape F16: converting took a quarter of decode time (29-30 t/s with the conversion left out,
/// 22-23 with it, AVX2).
/// </summary>
internal static unsafe class F16SplitDot
{
    public const int BlockSize = UnpackOrder.BlockSize;

    public static bool IsSupported => IsaSupport.Avx2;

    /// <summary>2^64: the activations' factor (a power of two, so exact).</summary>
    private const float ActivationScale = 18446744073709551616f;

    /// <summary>2^48 = 2^112 / 2^64: what the sum is multiplied by at the end.</summary>
    private const float ResultScale = 281474976710656f;

    /// <summary>Sign and the 15 magnitude bits of the high word after vpsraw by 3.</summary>
    private const short HighWordMask = unchecked((short)0x8FFF);

    /// <summary>A float built from an Inf/NaN half has exponent field 31 (bits 23..27 set, 28..30 clear).</summary>
    private const int SpecialExponent = 0x0F800000;

    /// <summary>x[k] (k a multiple of 32) times 2^64, in the order the dot's unpacks produce (<see cref="UnpackOrder"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Prepare(float* x, int k, byte* destination) => UnpackOrder.Arrange(x, k, (float*)destination, ActivationScale, IsaSupport.Avx512);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(byte* weights, byte* activations, int k) =>
        IsaSupport.Avx512 ? Dot512(weights, activations, k) : Dot256(weights, activations, k);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot256(byte* weights, byte* activations, int k)
    {
        short* w = (short*)weights;
        float* a = (float*)activations;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        for (int i = 0; i < k; i += BlockSize)
        {
            WeightPrefetch.Stream((byte*)(w + i), 64);
            var h0 = Vector256.Load(w + i);
            var h1 = Vector256.Load(w + i + 16);
            var (f0, f1) = Floats(h0);
            var (f2, f3) = Floats(h1);
            if (HalfBits.AnyInfOrNaN(h0.AsUInt16(), h1.AsUInt16()))
            {
                f0 = Special(f0); f1 = Special(f1); f2 = Special(f2); f3 = Special(f3);
            }
            acc0 = Fma.MultiplyAdd(f0, Vector256.Load(a + i), acc0);
            acc1 = Fma.MultiplyAdd(f1, Vector256.Load(a + i + 8), acc1);
            acc2 = Fma.MultiplyAdd(f2, Vector256.Load(a + i + 16), acc2);
            acc3 = Fma.MultiplyAdd(f3, Vector256.Load(a + i + 24), acc3);
        }
        return Vector256.Sum((acc0 + acc1) + (acc2 + acc3)) * ResultScale;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot512(byte* weights, byte* activations, int k)
    {
        short* w = (short*)weights;
        float* a = (float*)activations;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        for (int i = 0; i < k; i += BlockSize)
        {
            WeightPrefetch.Stream((byte*)(w + i), 64);
            var h = Vector512.Load(w + i);
            var high = Vector512.ShiftRightArithmetic(h, 3) & Vector512.Create(HighWordMask);
            var low = Vector512.ShiftLeft(h, 13);
            var f0 = Avx512BW.UnpackLow(low, high).AsSingle();
            var f1 = Avx512BW.UnpackHigh(low, high).AsSingle();
            if (HalfBits.AnyInfOrNaN(h.AsUInt16()))
            {
                f0 = Special(f0); f1 = Special(f1);
            }
            acc0 = Avx512F.FusedMultiplyAdd(f0, Vector512.Load(a + i), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(f1, Vector512.Load(a + i + 16), acc1);
        }
        return Vector512.Sum(acc0 + acc1) * ResultScale;
    }

    /// <summary>16 halves to their float bits in the unpacks' order (two registers of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) Floats(Vector256<short> h)
    {
        var high = Vector256.ShiftRightArithmetic(h, 3) & Vector256.Create(HighWordMask);
        var low = Vector256.ShiftLeft(h, 13);
        return (Avx2.UnpackLow(low, high).AsSingle(), Avx2.UnpackHigh(low, high).AsSingle());
    }

    /// <summary>Lanes built from Inf/NaN halves get exponent 255: Inf stays Inf, NaN keeps its payload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Special(Vector256<float> f)
    {
        var bits = f.AsInt32();
        var special = Vector256.Equals(bits & Vector256.Create(SpecialExponent), Vector256.Create(SpecialExponent));
        return Vector256.ConditionalSelect(special, bits | Vector256.Create(0x7F800000), bits).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Special(Vector512<float> f)
    {
        var bits = f.AsInt32();
        var special = Vector512.Equals(bits & Vector512.Create(SpecialExponent), Vector512.Create(SpecialExponent));
        return Vector512.ConditionalSelect(special, bits | Vector512.Create(0x7F800000), bits).AsSingle();
    }
}
