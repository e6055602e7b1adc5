namespace Tessera.Models;

/// <summary>
/// Receives named intermediate activations of a forward pass (e.g. "attn_norm" of layer 3), so they can be dumped
/// and compared layer by layer with another implementation. <paramref name="values"/> is [tokenCount, width];
/// layer is -1 outside the layers. Off (null) by default.
/// </summary>
public delegate void ForwardTrace(string point, int layer, ReadOnlySpan<float> values, int tokenCount);
