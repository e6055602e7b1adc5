using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Q8_K;

/// <summary>
/// F32 activations to Q8_K blocks { float d; sbyte q[256]; short bsums[16] } (292 bytes), matching the reference:
/// the value of largest magnitude (the first one on ties) maps to -127, d = value / -127, others round to nearest
/// with ties to even and are clamped to -127..127; bsums[g] = sum of q[16g..16g+15].
/// </summary>
internal static unsafe class Q8_KActivations
{
    public const int BlockSize = 256;
    public const int BlockBytes = 292;
    public const int QuantsOffset = 4;
    public const int SumsOffset = 260;
    private const int SumGroup = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int k, byte* destination)
    {
        if (IsaSupport.Vector128)
            QuantizeVector128(x, k, destination);
        else
            QuantizeScalar(x, k, destination);
    }

    /// <summary>x[k] (k a multiple of 256) quantized block by block, each block passed through
    /// <paramref name="rearrange"/> into <paramref name="blockBytes"/> bytes of a kernel's own layout at
    /// <paramref name="destination"/> (the 512-bit K-quant dots' activation orders).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeRearranged(float* x, int k, byte* destination, int blockBytes, delegate*<byte*, byte*, void> rearrange)
    {
        byte* block = stackalloc byte[BlockBytes];
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, destination += blockBytes)
        {
            Quantize(x, BlockSize, block);
            rearrange(block, destination);
        }
    }

    /// <summary>Without SIMD: the readable reference quantizer of <c>Tessera.Tensors</c> itself.</summary>
    public static void QuantizeScalar(float* x, int k, byte* destination) =>
        Tensors.Quants.Q8_K.Quantize(new ReadOnlySpan<float>(x, k), new Span<byte>(destination, k / BlockSize * BlockBytes));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void QuantizeVector128(float* x, int k, byte* destination)
    {
        for (int b = 0; b < k / BlockSize; b++, x += BlockSize, destination += BlockBytes)
        {
            sbyte* q = (sbyte*)(destination + QuantsOffset);
            short* sums = (short*)(destination + SumsOffset);
            float largest = LargestMagnitude(x);
            if (largest == 0)
            {
                new Span<byte>(destination, BlockBytes).Clear();
                continue;
            }
            float inverseScale = -127f / largest;
            var scale = Vector128.Create(inverseScale);
            var low = Vector128.Create(-127);
            var high = Vector128.Create(127);
            for (int g = 0; g < BlockSize / SumGroup; g++)
            {
                float* xg = x + g * SumGroup;
                // Vector128.Round rounds half to even, like the reference's MathF.Round.
                var i0 = Vector128.Clamp(Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(xg) * scale)), low, high);
                var i1 = Vector128.Clamp(Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(xg + 4) * scale)), low, high);
                var i2 = Vector128.Clamp(Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(xg + 8) * scale)), low, high);
                var i3 = Vector128.Clamp(Vector128.ConvertToInt32(Vector128.Round(Vector128.Load(xg + 12) * scale)), low, high);
                Q8_0.Q8_0Activations.Narrow(i0, i1, i2, i3).Store(q + g * SumGroup);
                sums[g] = (short)Vector128.Sum(i0 + i1 + i2 + i3);
            }
            *(float*)destination = 1f / inverseScale;
        }
    }

    /// <summary>The value of largest magnitude with its sign; the first one wins ties, as in the reference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LargestMagnitude(float* x)
    {
        var max = Vector128<float>.Zero;
        for (int j = 0; j < BlockSize; j += 4)
            max = Vector128.Max(max, Vector128.Abs(Vector128.Load(x + j)));
        float maxAbs = MathF.Max(MathF.Max(max[0], max[1]), MathF.Max(max[2], max[3]));
        for (int j = 0; j < BlockSize; j++)
        {
            if (MathF.Abs(x[j]) == maxAbs)
                return x[j];
        }
        return 0;
    }
}
