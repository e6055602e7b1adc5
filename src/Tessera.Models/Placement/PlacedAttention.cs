using Tessera.Devices;

namespace Tessera.Models.Placement;

/// <summary>The attention sub-block's weights in the memory of the device that runs it.</summary>
public sealed class PlacedAttention : IDisposable
{
    public required ComputeDevice Device { get; init; }
    public required DeviceBuffer Norm { get; init; }          // [n_embd]
    public required DeviceMatrix Q { get; init; }             // [n_head * head_dim, n_embd]
    public required DeviceMatrix K { get; init; }             // [n_head_kv * head_dim, n_embd]
    public required DeviceMatrix V { get; init; }             // [n_head_kv * head_dim, n_embd]
    public required DeviceMatrix Output { get; init; }        // [n_embd, n_head * head_dim]
    public DeviceBuffer? QBias { get; init; }                 // [n_head * head_dim]
    public DeviceBuffer? KBias { get; init; }                 // [n_head_kv * head_dim]
    public DeviceBuffer? VBias { get; init; }                 // [n_head_kv * head_dim]
    public DeviceBuffer? QNorm { get; init; }                 // [head_dim]
    public DeviceBuffer? KNorm { get; init; }                 // [head_dim]

    public static PlacedAttention Upload(LayerWeights w, ComputeDevice device) => new()
    {
        Device = device,
        Norm = device.Upload(w.AttentionNorm),
        Q = w.Q.UploadTo(device),
        K = w.K.UploadTo(device),
        V = w.V.UploadTo(device),
        Output = w.Output.UploadTo(device),
        QBias = w.QBias is null ? null : device.Upload(w.QBias),
        KBias = w.KBias is null ? null : device.Upload(w.KBias),
        VBias = w.VBias is null ? null : device.Upload(w.VBias),
        QNorm = w.QNorm is null ? null : device.Upload(w.QNorm),
        KNorm = w.KNorm is null ? null : device.Upload(w.KNorm),
    };

    public void Dispose() => PlacedParts.DisposeAll(Norm, Q, K, V, Output, QBias, KBias, VBias, QNorm, KNorm);
}
