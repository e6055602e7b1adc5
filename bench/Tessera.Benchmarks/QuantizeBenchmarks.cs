using BenchmarkDotNet.Attributes;
using Tessera.Tensors;

namespace Tessera.Benchmarks;

/// <summary>
/// Throughput of the scalar reference quantizers and dequantizers on one 64K-value row of weight-like data.
/// Run: dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*QuantizeBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class QuantizeBenchmarks
{
    private const int ValueCount = 1 << 16;

    /// <summary>Standard deviation of the synthetic weights (typical of transformer matrices).</summary>
    private const float WeightScale = 0.02f;

    private float[] _values = [];
    private float[] _restored = [];
    private byte[] _quantized = [];

    [Params(GgmlType.F16, GgmlType.BF16, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K, GgmlType.IQ4_NL)]
    public GgmlType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1234);
        _values = new float[ValueCount];
        for (int i = 0; i < ValueCount; i++)
        {
            // Box-Muller: normally distributed like trained weights.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            _values[i] = (float)(WeightScale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        _restored = new float[ValueCount];
        _quantized = new byte[GgmlTypeTraits.Of(Type).BytesFor(ValueCount)];
        Quantization.Quantize(Type, _values, _quantized);
    }

    [Benchmark(OperationsPerInvoke = ValueCount)]
    public void Quantize() => Quantization.Quantize(Type, _values, _quantized);

    [Benchmark(OperationsPerInvoke = ValueCount)]
    public void Dequantize() => Quantization.Dequantize(Type, _quantized, _restored);
}
