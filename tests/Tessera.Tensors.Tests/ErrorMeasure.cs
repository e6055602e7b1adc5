namespace Tessera.Tensors.Tests;

internal static class ErrorMeasure
{
    /// <summary>rms(approx - original) / rms(original); 0 when both are all zeros.</summary>
    public static double RelativeRms(ReadOnlySpan<float> approx, ReadOnlySpan<float> original)
    {
        Assert.Equal(original.Length, approx.Length);
        double error = 0, energy = 0;
        for (int i = 0; i < original.Length; i++)
        {
            double diff = approx[i] - original[i];
            error += diff * diff;
            energy += (double)original[i] * original[i];
        }
        return energy == 0 ? Math.Sqrt(error) : Math.Sqrt(error / energy);
    }

    /// <summary>Relative RMS error of quantizing <paramref name="original"/> to <paramref name="type"/> and back.</summary>
    public static double RoundTrip(GgmlType type, ReadOnlySpan<float> original)
    {
        var bytes = new byte[GgmlTypeTraits.Of(type).BytesFor(original.Length)];
        var back = new float[original.Length];
        Quantization.Quantize(type, original, bytes);
        Quantization.Dequantize(type, bytes, back);
        return RelativeRms(back, original);
    }
}
