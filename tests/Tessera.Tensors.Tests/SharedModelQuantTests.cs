using System.Collections.Concurrent;
using Tessera.Gguf;
using Tessera.Testing;
using Xunit.Abstractions;

namespace Tessera.Tensors.Tests;

/// <summary>
/// Checks against the shared models, whose quantized files an independent quantizer made from the F16 files:
/// our dequantizer reads them with the expected error, our round-to-nearest quantizers reproduce them byte
/// for byte, and our searching quantizers (K-quants, IQ4_NL) are at least as good.
/// </summary>
public class SharedModelQuantTests(ITestOutputHelper output)
{
    private static readonly HashSet<GgmlType> DeterministicTypes = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1];
    private static readonly HashSet<GgmlType> SearchedTypes = [GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL];

    /// <summary>
    /// Our round-trip error per (source file, tensor, type): several files store the same tensor in the same
    /// type (the Q6_K embedding of every K-quant mix), and quantizing it once keeps the suite fast.
    /// </summary>
    private static readonly ConcurrentDictionary<(string Source, string Tensor, GgmlType Type), double> OurErrors = new();

    public static TheoryData<string> QuantizedFiles() => SharedModels.QuantizedWithSourceData();

    [Fact]
    public void The_shared_models_include_every_quantized_type_we_check()
    {
        var seen = new HashSet<GgmlType>();
        foreach (var name in SharedModels.QuantizedWithSource())
        {
            using var file = GgufFile.Open(SharedData.Model(name));
            seen.UnionWith(file.Tensors.Select(t => t.Type));
        }
        Assert.Superset(new HashSet<GgmlType>(DeterministicTypes.Concat(SearchedTypes)), seen);
    }

    [Theory]
    [MemberData(nameof(QuantizedFiles))]
    public void Dequantized_tensors_are_close_to_the_source(string name)
    {
        ForEachTensor(name, _ => true, (tensor, file, source) =>
        {
            double error = ErrorMeasure.RelativeRms(SharedModels.ReadFloats(file, tensor), source);
            Assert.True(error <= Tolerances.RelativeRms(tensor.Type),
                $"{name} {tensor.Name} ({tensor.Type}): error {error:G4} > {Tolerances.RelativeRms(tensor.Type):G4}");
        });
    }

    [Theory]
    [MemberData(nameof(QuantizedFiles))]
    public void Round_to_nearest_types_are_reproduced_byte_for_byte(string name)
    {
        ForEachTensor(name, t => DeterministicTypes.Contains(t.Type), (tensor, file, source) =>
        {
            var ours = new byte[tensor.ByteSize];
            Quantization.Quantize(tensor.Type, source, ours);
            ReadOnlySpan<byte> theirs = file.GetData(tensor);
            int mismatch = ours.AsSpan().CommonPrefixLength(theirs);
            Assert.True(mismatch == ours.Length,
                $"{name} {tensor.Name} ({tensor.Type}): first difference in block {mismatch / GgmlTypeTraits.Of(tensor.Type).BlockBytes}");
        });
    }

    [Theory]
    [MemberData(nameof(QuantizedFiles))]
    public void Searched_types_are_no_worse_than_the_shared_files(string name)
    {
        ForEachTensor(name, t => SearchedTypes.Contains(t.Type), (tensor, file, source) =>
        {
            double theirs = ErrorMeasure.RelativeRms(SharedModels.ReadFloats(file, tensor), source);
            double ours = OurErrors.GetOrAdd((SharedModels.SourceOf(name), tensor.Name, tensor.Type), _ => ErrorMeasure.RoundTrip(tensor.Type, source));
            output.WriteLine($"{name} {tensor.Name} {tensor.Type}: ours {ours:F5} theirs {theirs:F5} ratio {ours / theirs:F3}");
            Assert.True(ours <= theirs * Tolerances.KQuantVersusReference,
                $"{name} {tensor.Name} ({tensor.Type}): our error {ours:G4} vs the file's {theirs:G4}");
        });
    }

    private static void ForEachTensor(string name, Func<GgufTensorInfo, bool> select, Action<GgufTensorInfo, GgufFile, float[]> check)
    {
        using var quantized = GgufFile.Open(SharedData.Model(name));
        using var source = GgufFile.Open(SharedData.Model(SharedModels.SourceOf(name)));
        foreach (var (tensor, file, values) in SharedModels.TensorsWithSource(quantized, source, select))
            check(tensor, file, values);
    }
}
