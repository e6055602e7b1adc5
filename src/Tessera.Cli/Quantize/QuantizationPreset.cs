using Tessera.Tensors;

namespace Tessera.Cli.Quantize;

/// <summary>
/// A target users name on the command line (`Q4_K_M`): the base tensor type, whether the K-quant
/// "medium" mix gives sensitive tensors more bits, and the `general.file_type` value recorded in the output.
/// </summary>
public sealed record QuantizationPreset(string Name, GgmlType BaseType, int FileType, bool MediumMix)
{
    public static IReadOnlyList<QuantizationPreset> All { get; } =
    [
        new("F32", GgmlType.F32, 0, false),
        new("F16", GgmlType.F16, 1, false),
        new("BF16", GgmlType.BF16, 32, false),
        new("Q4_0", GgmlType.Q4_0, 2, false),
        new("Q4_1", GgmlType.Q4_1, 3, false),
        new("Q5_0", GgmlType.Q5_0, 8, false),
        new("Q5_1", GgmlType.Q5_1, 9, false),
        new("Q8_0", GgmlType.Q8_0, 7, false),
        new("Q2_K", GgmlType.Q2_K, 10, true),
        new("Q3_K_M", GgmlType.Q3_K, 12, true),
        new("Q4_K_M", GgmlType.Q4_K, 15, true),
        new("Q5_K_M", GgmlType.Q5_K, 17, true),
        new("Q6_K", GgmlType.Q6_K, 18, false),
        new("IQ4_NL", GgmlType.IQ4_NL, 25, false),
    ];

    public static QuantizationPreset Parse(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new CliException($"unsupported quantization type '{name}'; supported: {string.Join(", ", All.Select(p => p.Name))}");

    public bool IsFloat => !GgmlTypeTraits.Of(BaseType).IsQuantized;
}
