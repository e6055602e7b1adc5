using Tessera.Tensors;

namespace Tessera.Kernels.Tests;

/// <summary>Random rows in a weight type plus the activations its kernel takes, built with the reference quantizers.</summary>
internal sealed class QuantizedRows
{
    public QuantizedRows(GgmlType weightType, GgmlType activationType, int k, int rowCount, TestRandom random)
    {
        K = k;
        WeightType = weightType;
        ActivationType = activationType;
        var weightTraits = GgmlTypeTraits.Of(weightType);
        WeightRowBytes = (int)weightTraits.BytesFor(k);
        Weights = new byte[WeightRowBytes * rowCount];
        for (int r = 0; r < rowCount; r++)
            Quantization.Quantize(weightType, random.Floats(k), Weights.AsSpan(r * WeightRowBytes, WeightRowBytes));
        DequantizedWeights = new float[k * rowCount];
        Quantization.Dequantize(weightType, Weights, DequantizedWeights);
    }

    /// <summary>Rows given as bytes in the weight type (<paramref name="weights"/> holds whole rows of k values).</summary>
    public QuantizedRows(GgmlType weightType, GgmlType activationType, int k, byte[] weights)
    {
        K = k;
        WeightType = weightType;
        ActivationType = activationType;
        WeightRowBytes = (int)GgmlTypeTraits.Of(weightType).BytesFor(k);
        Weights = weights;
        DequantizedWeights = new float[k * (weights.Length / WeightRowBytes)];
        Quantization.Dequantize(weightType, Weights, DequantizedWeights);
    }

    public int K { get; }

    public GgmlType WeightType { get; }

    public GgmlType ActivationType { get; }

    public int WeightRowBytes { get; }

    /// <summary>[rows, k] in the weight type.</summary>
    public byte[] Weights { get; }

    /// <summary>[rows, k] dequantized by the reference.</summary>
    public float[] DequantizedWeights { get; }

    /// <summary>The rows copied <paramref name="gap"/> bytes further apart than their length, as in no matrix (so a wrong
    /// stride cannot pass), in a buffer with room past them for reads ahead of the last row.</summary>
    public (byte[] Rows, int Stride) Strided(int gap)
    {
        int rowCount = Weights.Length / WeightRowBytes, stride = WeightRowBytes + gap;
        var strided = new byte[3 * rowCount * stride];
        for (int r = 0; r < rowCount; r++)
            Weights.AsSpan(r * WeightRowBytes, WeightRowBytes).CopyTo(strided.AsSpan(r * stride));
        return (strided, stride);
    }

    /// <summary>An activation row quantized by the reference, and its dequantized values.</summary>
    public (byte[] Bytes, float[] Values) Activation(float[] x)
    {
        if (ActivationType == GgmlType.F32)
            return (System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).ToArray(), x);
        var bytes = new byte[GgmlTypeTraits.Of(ActivationType).BytesFor(x.Length)];
        Quantization.Quantize(ActivationType, x, bytes);
        var values = new float[x.Length];
        Quantization.Dequantize(ActivationType, bytes, values);
        return (bytes, values);
    }

    /// <summary>(float64 dot, sum of |products|) of weight row <paramref name="row"/> with <paramref name="x"/>.</summary>
    public (double Dot, double Magnitude) Reference(int row, ReadOnlySpan<float> x)
    {
        double dot = 0, magnitude = 0;
        for (int i = 0; i < K; i++)
        {
            double p = (double)DequantizedWeights[row * K + i] * x[i];
            dot += p;
            magnitude += Math.Abs(p);
        }
        return (dot, magnitude);
    }

    /// <summary>Asserts each y[t * rows + r] (<paramref name="y"/> [tokens, rows]) against row r · token t of
    /// <paramref name="x"/> ([tokens, K], used as it is) in float64, within <paramref name="tolerance"/>.</summary>
    public void AssertProducts(float[] x, int tokens, float[] y, double tolerance, string what)
    {
        int rowCount = y.Length / tokens;
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rowCount; r++)
            {
                var (expected, magnitude) = Reference(r, x.AsSpan(t * K, K));
                double error = Tolerances.Relative(y[t * rowCount + r], expected, magnitude);
                Assert.True(error <= tolerance, $"{what} token {t} row {r}: {y[t * rowCount + r]} vs {expected}");
            }
        }
    }
}
