using Tessera.Devices;

namespace Tessera.Models.Placement;

/// <summary>The feed-forward sub-block's weights (dense SwiGLU, or router and expert stacks) on the device that runs it.</summary>
public sealed class PlacedFeedForward : IDisposable
{
    public required ComputeDevice Device { get; init; }
    public required DeviceBuffer Norm { get; init; }          // [n_embd]
    public DeviceMatrix? Gate { get; init; }                  // [n_ff, n_embd]
    public DeviceMatrix? Up { get; init; }                    // [n_ff, n_embd]
    public DeviceMatrix? Down { get; init; }                  // [n_embd, n_ff]
    public DeviceMatrix? Router { get; init; }                // [n_expert, n_embd]
    public DeviceMatrix? ExpertGate { get; init; }            // [n_expert * n_ff_exp, n_embd]
    public DeviceMatrix? ExpertUp { get; init; }              // [n_expert * n_ff_exp, n_embd]
    public DeviceMatrix? ExpertDown { get; init; }            // [n_expert * n_embd, n_ff_exp]

    public static PlacedFeedForward Upload(LayerWeights w, ComputeDevice device) => new()
    {
        Device = device,
        Norm = device.Upload(w.FeedForwardNorm),
        Gate = w.Gate?.UploadTo(device),
        Up = w.Up?.UploadTo(device),
        Down = w.Down?.UploadTo(device),
        Router = w.Router?.UploadTo(device),
        ExpertGate = w.ExpertGate?.UploadTo(device),
        ExpertUp = w.ExpertUp?.UploadTo(device),
        ExpertDown = w.ExpertDown?.UploadTo(device),
    };

    public void Dispose() => PlacedParts.DisposeAll(Norm, Gate, Up, Down, Router, ExpertGate, ExpertUp, ExpertDown);
}
