namespace Tessera.Devices;

/// <summary>The operations a decoder layer needs; each device says which it supports, and for which weight types.</summary>
public enum DeviceOp
{
    /// <summary>y = W·x for one token, W in its file type.</summary>
    MatVec,
    /// <summary>Y = X·W^T for several tokens, W in its file type.</summary>
    MatMul,
    RmsNorm,
    /// <summary>Rotary position embedding, normal and NeoX pair layouts.</summary>
    Rope,
    /// <summary>Causal grouped-query attention over the device's own KV cache.</summary>
    Attention,
    SwiGlu,
    Softmax,
    /// <summary>Element-wise add (residuals, biases).</summary>
    Add,
    /// <summary>Mixture-of-experts feed-forward: gather routed tokens, expert SwiGLU, weighted scatter-add.</summary>
    MoeExperts,
}
