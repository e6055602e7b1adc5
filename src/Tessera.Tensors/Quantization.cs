using Tessera.Tensors.Quants;

namespace Tessera.Tensors;

/// <summary>
/// Converts rows between floats and any supported storage type, using the scalar references in
/// <see cref="Tessera.Tensors.Quants"/>. Spans hold whole blocks: <c>floats.Length</c> is a multiple of the block size and
/// the byte span is exactly those blocks' bytes, otherwise <see cref="ArgumentException"/>.
/// </summary>
public static class Quantization
{
    public static bool CanDequantize(GgmlType type) => CanQuantize(type);

    public static bool CanQuantize(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 or
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K or
        GgmlType.IQ4_NL => true,
        _ => false,
    };

    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (type)
        {
            case GgmlType.F32: F32.Dequantize(source, destination); break;
            case GgmlType.F16: F16.Dequantize(source, destination); break;
            case GgmlType.BF16: BF16.Dequantize(source, destination); break;
            case GgmlType.Q4_0: Q4_0.Dequantize(source, destination); break;
            case GgmlType.Q4_1: Q4_1.Dequantize(source, destination); break;
            case GgmlType.Q5_0: Q5_0.Dequantize(source, destination); break;
            case GgmlType.Q5_1: Q5_1.Dequantize(source, destination); break;
            case GgmlType.Q8_0: Q8_0.Dequantize(source, destination); break;
            case GgmlType.Q8_1: Q8_1.Dequantize(source, destination); break;
            case GgmlType.Q2_K: Q2_K.Dequantize(source, destination); break;
            case GgmlType.Q3_K: Q3_K.Dequantize(source, destination); break;
            case GgmlType.Q4_K: Q4_K.Dequantize(source, destination); break;
            case GgmlType.Q5_K: Q5_K.Dequantize(source, destination); break;
            case GgmlType.Q6_K: Q6_K.Dequantize(source, destination); break;
            case GgmlType.Q8_K: Q8_K.Dequantize(source, destination); break;
            case GgmlType.IQ4_NL: IQ4_NL.Dequantize(source, destination); break;
            default: throw Unsupported(type, "dequantizing");
        }
    }

    public static void Quantize(GgmlType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (type)
        {
            case GgmlType.F32: F32.Quantize(source, destination); break;
            case GgmlType.F16: F16.Quantize(source, destination); break;
            case GgmlType.BF16: BF16.Quantize(source, destination); break;
            case GgmlType.Q4_0: Q4_0.Quantize(source, destination); break;
            case GgmlType.Q4_1: Q4_1.Quantize(source, destination); break;
            case GgmlType.Q5_0: Q5_0.Quantize(source, destination); break;
            case GgmlType.Q5_1: Q5_1.Quantize(source, destination); break;
            case GgmlType.Q8_0: Q8_0.Quantize(source, destination); break;
            case GgmlType.Q8_1: Q8_1.Quantize(source, destination); break;
            case GgmlType.Q2_K: Q2_K.Quantize(source, destination); break;
            case GgmlType.Q3_K: Q3_K.Quantize(source, destination); break;
            case GgmlType.Q4_K: Q4_K.Quantize(source, destination); break;
            case GgmlType.Q5_K: Q5_K.Quantize(source, destination); break;
            case GgmlType.Q6_K: Q6_K.Quantize(source, destination); break;
            case GgmlType.Q8_K: Q8_K.Quantize(source, destination); break;
            case GgmlType.IQ4_NL: IQ4_NL.Quantize(source, destination); break;
            default: throw Unsupported(type, "quantizing");
        }
    }

    private static NotSupportedException Unsupported(GgmlType type, string operation)
    {
        string name = GgmlTypeTraits.IsKnown(type) ? GgmlTypeTraits.Of(type).Name : $"unknown type id {(uint)type}";
        return new NotSupportedException($"{operation} {name} is not supported");
    }
}
