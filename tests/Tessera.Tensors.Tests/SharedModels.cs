using Tessera.Gguf;
using Tessera.Testing;

namespace Tessera.Tensors.Tests;

/// <summary>
/// The shared quantized models that have their F16 source beside them ("syn-NAME-F16.gguf"),
/// and helpers to compare their tensors with that source.
/// </summary>
internal static class SharedModels
{
    private const string SourceSuffix = "-F16.gguf";

    /// <summary>Quantized file names whose F16 source is shared too.</summary>
    public static IReadOnlyList<string> QuantizedWithSource() =>
        Directory.GetFiles(SharedData.Models, "syn-*.gguf")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => !name.EndsWith(SourceSuffix, StringComparison.Ordinal) && File.Exists(SharedData.Model(SourceOf(name))))
            .Order(StringComparer.Ordinal)
            .ToArray();

    public static TheoryData<string> QuantizedWithSourceData() => new(QuantizedWithSource());

    /// <summary>"syn-llama-Q4_K_M.gguf" -> "syn-llama-F16.gguf".</summary>
    public static string SourceOf(string quantizedName)
    {
        string model = quantizedName[..quantizedName.LastIndexOf('-')];
        return model + SourceSuffix;
    }

    public static float[] ReadFloats(GgufFile file, GgufTensorInfo tensor)
    {
        var values = new float[tensor.ElementCount];
        Quantization.Dequantize(tensor.Type, file.GetData(tensor), values);
        return values;
    }

    /// <summary>Pairs each tensor of a quantized file with its source floats, for the tensors <paramref name="select"/> accepts.</summary>
    public static IEnumerable<(GgufTensorInfo Tensor, GgufFile File, float[] Source)> TensorsWithSource(
        GgufFile quantized, GgufFile source, Func<GgufTensorInfo, bool> select)
    {
        foreach (var tensor in quantized.Tensors.Where(select))
        {
            var original = source.GetTensor(tensor.Name);
            Assert.Equal(tensor.Dimensions, original.Dimensions);
            yield return (tensor, quantized, ReadFloats(source, original));
        }
    }
}
