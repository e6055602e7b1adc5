using Tessera.Devices;

namespace Tessera.Models.Placement;

/// <summary>
/// A model's weights uploaded to the devices a <see cref="LayerAssignment"/> names: what the forward runs on. Owns the
/// device copies (CPU parts are views of the mapped file and cost nothing); disposing frees them.
/// </summary>
public sealed class ModelPlacement : IDisposable
{
    private ModelPlacement(TransformerModel model, LayerAssignment assignment, PlacedAttention[] attention, PlacedFeedForward[] feedForward,
        DeviceBuffer headNorm, DeviceMatrix head)
    {
        Model = model;
        Assignment = assignment;
        Attention = attention;
        FeedForward = feedForward;
        HeadNorm = headNorm;
        Head = head;
        Devices = assignment.Devices;
    }

    public TransformerModel Model { get; }
    public LayerAssignment Assignment { get; }
    public IReadOnlyList<PlacedAttention> Attention { get; }
    public IReadOnlyList<PlacedFeedForward> FeedForward { get; }
    public DeviceBuffer HeadNorm { get; }                    // [n_embd]
    public DeviceMatrix Head { get; }                        // [n_vocab, n_embd]
    public ComputeDevice HeadDevice => Head.Device;
    public IReadOnlyList<ComputeDevice> Devices { get; }

    /// <summary>Copies of the hottest MoE experts on an accelerator, used by layers whose feed-forward runs on the CPU
    /// (owned by the context, not by the placement); null when none are kept.</summary>
    public Experts.DeviceExperts? DeviceExperts { get; set; }

    /// <summary>Uploads every part to its device; on failure frees what was uploaded and rethrows.</summary>
    public static ModelPlacement Create(TransformerModel model, LayerAssignment assignment)
    {
        int layers = model.Hyperparameters.LayerCount;
        if (assignment.LayerCount != layers || assignment.FeedForward.Count != layers)
            throw new ArgumentException($"the assignment covers {assignment.LayerCount} layers, the model has {layers}", nameof(assignment));
        var attention = new List<PlacedAttention>(layers);
        var feedForward = new List<PlacedFeedForward>(layers);
        DeviceBuffer? headNorm = null;
        try
        {
            for (int i = 0; i < layers; i++)
            {
                attention.Add(PlacedAttention.Upload(model.Layers[i], assignment.Attention[i]));
                feedForward.Add(PlacedFeedForward.Upload(model.Layers[i], assignment.FeedForward[i]));
            }
            headNorm = assignment.Head.Upload(model.OutputNorm);
            var head = model.Output.UploadTo(assignment.Head);
            return new ModelPlacement(model, assignment, attention.ToArray(), feedForward.ToArray(), headNorm, head);
        }
        catch
        {
            PlacedParts.DisposeAll([.. attention, .. feedForward, headNorm]);
            throw;
        }
    }

    public void Dispose()
    {
        PlacedParts.DisposeAll([.. Attention, .. FeedForward, HeadNorm, Head]);
    }
}
