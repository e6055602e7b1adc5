namespace Tessera.Models.Encoders;

/// <summary>Weights of one post-norm encoder layer. Biases are null when the file has none (they are then zero).</summary>
public sealed class EncoderLayerWeights
{
    public required WeightMatrix Q { get; init; }                       // [n_embd, n_embd]
    public required WeightMatrix K { get; init; }                       // [n_embd, n_embd]
    public required WeightMatrix V { get; init; }                       // [n_embd, n_embd]
    public required WeightMatrix Output { get; init; }                  // [n_embd, n_embd]
    public float[]? QBias { get; init; }                                // [n_embd]
    public float[]? KBias { get; init; }                                // [n_embd]
    public float[]? VBias { get; init; }                                // [n_embd]
    public float[]? OutputBias { get; init; }                           // [n_embd]
    public required float[] AttentionOutputNorm { get; init; }          // [n_embd]
    public required float[] AttentionOutputNormBias { get; init; }      // [n_embd]

    public required WeightMatrix Up { get; init; }                      // [n_ff, n_embd]
    public required WeightMatrix Down { get; init; }                    // [n_embd, n_ff]
    public float[]? UpBias { get; init; }                               // [n_ff]
    public float[]? DownBias { get; init; }                             // [n_embd]
    public required float[] LayerOutputNorm { get; init; }              // [n_embd]
    public required float[] LayerOutputNormBias { get; init; }          // [n_embd]
}
