using Tessera.Tensors;

namespace Tessera.Models.Tests;

/// <summary>
/// How close logits must land to the reference, as a fraction of the reference logits' standard deviation, by the
/// weight type: an exact F32 forward lands within rounding; F16/BF16 weights differ by the reference rounding
/// activations to F16; quantized weights by activation quantization details, with a looser bound allowed at a few
/// positions (out of 48) where near-ties flip a rounding or a MoE route.
/// </summary>
public sealed record ReferenceTolerance(double Typical, double Worst, int PositionsAllowedAboveTypical)
{
    public static readonly ReferenceTolerance Float32 = new(0.001, 0.001, 0);
    public static readonly ReferenceTolerance Half = new(0.005, 0.005, 0);
    public static readonly ReferenceTolerance Quantized = new(0.08, 0.20, 2);

    public static ReferenceTolerance For(TransformerModel model)
    {
        var types = model.Layers.SelectMany(l => new[] { l.Q.Type, l.Gate?.Type ?? l.ExpertGate!.Value.Type }).Append(model.Output.Type).Distinct().ToArray();
        if (types.All(t => t == GgmlType.F32))
            return Float32;
        if (types.All(t => t is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            return Half;
        return Quantized;
    }
}
