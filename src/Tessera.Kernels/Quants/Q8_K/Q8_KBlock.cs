namespace Tessera.Kernels.Quants.Q8_K;

/// <summary>Field offsets of a Q8_K activation block { float d; sbyte q[256]; short bsums[16] }.</summary>
internal static unsafe class Q8_KBlock
{
    public static float Scale(byte* block) => *(float*)block;

    public static sbyte* Quants(byte* block) => (sbyte*)(block + Q8_KActivations.QuantsOffset);

    public static short* Sums(byte* block) => (short*)(block + Q8_KActivations.SumsOffset);
}
