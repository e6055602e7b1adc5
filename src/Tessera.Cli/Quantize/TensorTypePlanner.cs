using System.Text.RegularExpressions;
using Tessera.Tensors;

namespace Tessera.Cli.Quantize;

/// <summary>
/// Chooses the stored type of each tensor for a <see cref="QuantizationPreset"/>, following the conventions
/// users of GGUF quantizers expect:
/// <list type="bullet">
/// <item>1-D tensors (norms, biases), the MoE router and anything not named `*.weight` stay F32: tiny, and precision-critical.</item>
/// <item>The output projection (or the tied token embedding that doubles as it) gets Q6_K, unless the preset is Q8_0/float or `pure`.</item>
/// <item>Medium K-quant mixes give the most sensitive matrices more bits: Q4_K_M and Q5_K_M store attn_v and ffn_down as
/// Q6_K in the first and last eighth of the layers and every third layer between; Q3_K_M stores attn_v, ffn_down and
/// attn_output as Q4_K (Q5_K for attn_v of the first two layers and ffn_down of the first sixteenth); Q2_K stores them as Q3_K.</item>
/// <item>A row length a type cannot hold (K-quants need multiples of 256) falls back to a 32-block type of similar size,
/// then to F16.</item>
/// </list>
/// `pure` disables all but the first and last rule: every 2-D weight gets the base type.
/// </summary>
public sealed partial class TensorTypePlanner(QuantizationPreset preset, int layerCount, bool hasSeparateOutput, bool pure = false)
{
    public GgmlType Choose(string name, long[] dimensions)
    {
        if (!IsQuantizable(name, dimensions))
            return GgmlType.F32;
        if (preset.IsFloat)
            return preset.BaseType;

        GgmlType type = pure ? preset.BaseType : MixType(name);
        return FitRowLength(type, dimensions[0]);
    }

    /// <summary>Weights with at least two dimensions, except the MoE router (small, and its logits pick experts).</summary>
    public static bool IsQuantizable(string name, long[] dimensions) =>
        dimensions.Length >= 2 && name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains("ffn_gate_inp", StringComparison.Ordinal);

    private GgmlType MixType(string name)
    {
        bool isOutput = name == "output.weight" || (!hasSeparateOutput && name == "token_embd.weight");
        if (isOutput)
            return preset.BaseType is GgmlType.Q8_0 or GgmlType.Q6_K ? preset.BaseType : GgmlType.Q6_K;
        if (!preset.MediumMix)
            return preset.BaseType;

        int layer = LayerOf(name);
        bool moreBits = layer >= 0 && UseMoreBits(layer, layerCount);
        bool isAttnV = name.Contains(".attn_v.", StringComparison.Ordinal);
        bool isFfnDown = name.Contains(".ffn_down", StringComparison.Ordinal);
        bool isAttnOutput = name.Contains(".attn_output.", StringComparison.Ordinal);
        return preset.BaseType switch
        {
            GgmlType.Q2_K when isAttnV || isFfnDown || isAttnOutput => GgmlType.Q3_K,
            GgmlType.Q3_K when isAttnV => layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K,
            GgmlType.Q3_K when isFfnDown => layer < layerCount / 16 ? GgmlType.Q5_K : GgmlType.Q4_K,
            GgmlType.Q3_K when isAttnOutput => GgmlType.Q4_K,
            GgmlType.Q4_K or GgmlType.Q5_K when (isAttnV || isFfnDown) && moreBits => GgmlType.Q6_K,
            _ => preset.BaseType,
        };
    }

    /// <summary>The first and last eighth of the layers and every third layer between them.</summary>
    public static bool UseMoreBits(int layer, int layerCount) =>
        layer < layerCount / 8 || layer >= 7 * layerCount / 8 || (layer - layerCount / 8) % 3 == 2;

    private static GgmlType FitRowLength(GgmlType type, long rowLength)
    {
        while (rowLength % GgmlTypeTraits.Of(type).BlockSize != 0)
        {
            type = type switch
            {
                GgmlType.Q2_K or GgmlType.Q3_K => GgmlType.IQ4_NL,
                GgmlType.Q4_K => GgmlType.Q5_0,
                GgmlType.Q5_K => GgmlType.Q5_1,
                GgmlType.Q6_K => GgmlType.Q8_0,
                _ => GgmlType.F16,
            };
        }
        return type;
    }

    private static int LayerOf(string name)
    {
        var match = LayerPattern().Match(name);
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"^blk\.(\d+)\.")]
    private static partial Regex LayerPattern();
}
