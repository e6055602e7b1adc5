namespace Tessera.Models;

/// <summary>Weights of one decoder layer. Optional parts are null when the architecture's options do not use them.</summary>
public sealed class LayerWeights
{
    public required float[] AttentionNorm { get; init; }     // [n_embd]
    public required WeightMatrix Q { get; init; }             // [n_head * head_dim, n_embd]
    public required WeightMatrix K { get; init; }             // [n_head_kv * head_dim, n_embd]
    public required WeightMatrix V { get; init; }             // [n_head_kv * head_dim, n_embd]
    public required WeightMatrix Output { get; init; }        // [n_embd, n_head * head_dim]
    public float[]? QBias { get; init; }                      // [n_head * head_dim]
    public float[]? KBias { get; init; }                      // [n_head_kv * head_dim]
    public float[]? VBias { get; init; }                      // [n_head_kv * head_dim]
    public float[]? QNorm { get; init; }                      // [head_dim]
    public float[]? KNorm { get; init; }                      // [head_dim]

    public required float[] FeedForwardNorm { get; init; }   // [n_embd]
    public WeightMatrix? Gate { get; init; }                  // [n_ff, n_embd]
    public WeightMatrix? Up { get; init; }                    // [n_ff, n_embd]
    public WeightMatrix? Down { get; init; }                  // [n_embd, n_ff]

    public WeightMatrix? Router { get; init; }                // [n_expert, n_embd]
    public WeightMatrix? ExpertGate { get; init; }            // [n_expert * n_ff_exp, n_embd]
    public WeightMatrix? ExpertUp { get; init; }              // [n_expert * n_ff_exp, n_embd]
    public WeightMatrix? ExpertDown { get; init; }            // [n_expert * n_embd, n_ff_exp]
}
