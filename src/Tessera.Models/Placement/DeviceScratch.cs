using Tessera.Devices;

namespace Tessera.Models.Placement;

/// <summary>
/// Activation buffers of a forward pass in one device's memory, allocated once per device and reused, so that steady
/// decoding allocates nothing. Activations cross to another device only where consecutive parts run on different ones.
/// </summary>
public sealed class DeviceScratch : IDisposable
{
    public DeviceScratch(ComputeDevice device, Hyperparameters hp, int maxTokens)
    {
        Device = device;
        int embd = hp.EmbeddingLength;
        int widest = Math.Max(Math.Max(embd, hp.QueryLength), hp.IsMixtureOfExperts ? hp.ExpertFeedForwardLength : hp.FeedForwardLength);
        Hidden = device.Allocate(maxTokens * embd);
        Normed = device.Allocate(maxTokens * Math.Max(embd, hp.QueryLength));
        Q = device.Allocate(maxTokens * hp.QueryLength);
        K = device.Allocate(maxTokens * hp.KvLength);
        V = device.Allocate(maxTokens * hp.KvLength);
        Projected = device.Allocate(maxTokens * embd);
        Gate = device.Allocate(maxTokens * widest);
        Up = device.Allocate(maxTokens * widest);
        if (hp.IsMixtureOfExperts)
        {
            // Every (token, chosen expert) pair has a row here, so one grouped pass can hold all experts' inputs.
            int routed = maxTokens * hp.ExpertUsedCount;
            RouterLogits = device.Allocate(maxTokens * hp.ExpertCount);
            ExpertInput = device.Allocate(routed * embd);
            ExpertOutput = device.Allocate(routed * embd);
            ExpertGate = device.Allocate(routed * hp.ExpertFeedForwardLength);
            ExpertUp = device.Allocate(routed * hp.ExpertFeedForwardLength);
        }
    }

    public ComputeDevice Device { get; }
    public DeviceBuffer Hidden { get; }          // [n_tokens, n_embd] residual stream
    public DeviceBuffer Normed { get; }          // [n_tokens, n_embd] sub-block input; then [n_tokens, n_head * head_dim] attention output
    public DeviceBuffer Q { get; }               // [n_tokens, n_head * head_dim]
    public DeviceBuffer K { get; }               // [n_tokens, n_head_kv * head_dim]
    public DeviceBuffer V { get; }               // [n_tokens, n_head_kv * head_dim]
    public DeviceBuffer Projected { get; }       // [n_tokens, n_embd] sub-block output before the residual add
    public DeviceBuffer Gate { get; }            // [n_tokens, n_ff]
    public DeviceBuffer Up { get; }              // [n_tokens, n_ff]
    public DeviceBuffer? RouterLogits { get; }   // [n_tokens, n_expert]
    public DeviceBuffer? ExpertInput { get; }    // [tokens routed, n_embd]
    public DeviceBuffer? ExpertOutput { get; }   // [tokens routed, n_embd]
    public DeviceBuffer? ExpertGate { get; }     // [tokens routed, n_ff_exp] the grouped pass's gate, then SwiGLU
    public DeviceBuffer? ExpertUp { get; }       // [tokens routed, n_ff_exp]

    public void Dispose() => PlacedParts.DisposeAll(Hidden, Normed, Q, K, V, Projected, Gate, Up, RouterLogits, ExpertInput, ExpertOutput,
        ExpertGate, ExpertUp);
}
