using Tessera.Devices;
using Tessera.Models;
using Tessera.Models.Placement;
using static Tessera.Models.TensorNames;

namespace Tessera.Runtime.Placement;

public enum PartKind
{
    Attention,
    FeedForward,
    Head,
}

/// <summary>
/// One unit the planner places: a layer's attention or feed-forward sub-block, or the output head. Knows its tensor
/// names (for overrides), its matrices and what one decode token reads of them, and how many device operations it
/// issues per step (each has a fixed cost).
/// </summary>
public sealed record ModelPart(PartKind Kind, int Layer, IReadOnlyList<string> TensorNames, IReadOnlyList<(WeightMatrix Matrix, double ReadFraction)> Matrices, int Operations)
{
    public override string ToString() => Kind == PartKind.Head ? "output head" : $"layer {Layer} {(Kind == PartKind.Attention ? "attention" : "feed-forward")}";

    /// <summary>Bytes the part's matrices take on <paramref name="device"/>, stored as it stores them.</summary>
    public long StoredBytes(ComputeDevice device) => Matrices.Sum(m => PlanCostModel.StoredBytes(m.Matrix, device));

    /// <summary>One device per part, in <see cref="Of"/> order, as an assignment.</summary>
    public static LayerAssignment Assignment(IReadOnlyList<ComputeDevice> perPart)
    {
        int layers = (perPart.Count - 1) / 2;
        return new LayerAssignment(
            Enumerable.Range(0, layers).Select(i => perPart[2 * i]).ToArray(),
            Enumerable.Range(0, layers).Select(i => perPart[2 * i + 1]).ToArray(),
            perPart[^1]);
    }

    /// <summary>The assignment as one device per part, in <see cref="Of"/> order.</summary>
    public static ComputeDevice[] PerPart(LayerAssignment assignment) =>
        [.. Enumerable.Range(0, assignment.LayerCount).SelectMany(i => new[] { assignment.Attention[i], assignment.FeedForward[i] }), assignment.Head];

    /// <summary>The parts of <paramref name="model"/> in forward order: attention and feed-forward of each layer, then the head.</summary>
    public static IReadOnlyList<ModelPart> Of(TransformerModel model)
    {
        var hp = model.Hyperparameters;
        var parts = new List<ModelPart>(2 * hp.LayerCount + 1);
        for (int i = 0; i < hp.LayerCount; i++)
        {
            var w = model.Layers[i];
            string N(string format) => ForLayer(format, i);
            var attentionNames = new List<string> { N(AttentionNorm), N(AttentionQ), N(AttentionK), N(AttentionV), N(AttentionOutput) };
            int attentionOps = 9;   // norm, q, k, v, 2 rope, attention, output, add
            if (w.QBias is not null)
            {
                attentionNames.AddRange([N(AttentionQBias), N(AttentionKBias), N(AttentionVBias)]);
                attentionOps += 3;
            }
            if (w.QNorm is not null)
            {
                attentionNames.AddRange([N(AttentionQNorm), N(AttentionKNorm)]);
                attentionOps += 2;
            }
            parts.Add(new ModelPart(PartKind.Attention, i, attentionNames, [(w.Q, 1), (w.K, 1), (w.V, 1), (w.Output, 1)], attentionOps));

            if (hp.IsMixtureOfExperts)
            {
                // A decode token reads only its k experts' rows of each stack.
                double used = (double)hp.ExpertUsedCount / hp.ExpertCount;
                parts.Add(new ModelPart(PartKind.FeedForward, i, [N(FeedForwardNorm), N(ExpertRouter), N(ExpertGate), N(ExpertUp), N(ExpertDown)],
                    [(w.Router!.Value, 1), (w.ExpertGate!.Value, used), (w.ExpertUp!.Value, used), (w.ExpertDown!.Value, used)],
                    5 + 6 * hp.ExpertUsedCount));
            }
            else
            {
                parts.Add(new ModelPart(PartKind.FeedForward, i, [N(FeedForwardNorm), N(FeedForwardGate), N(FeedForwardUp), N(FeedForwardDown)],
                    [(w.Gate!.Value, 1), (w.Up!.Value, 1), (w.Down!.Value, 1)], 6));
            }
        }
        parts.Add(new ModelPart(PartKind.Head, -1, [OutputNorm, model.Output.Name], [(model.Output, 1)], 3));
        return parts;
    }
}
