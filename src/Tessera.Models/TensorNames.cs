using System.Globalization;

namespace Tessera.Models;

/// <summary>GGUF tensor names. Per-layer names are formats filled with the layer index.</summary>
public static class TensorNames
{
    public const string TokenEmbedding = "token_embd.weight";
    public const string OutputNorm = "output_norm.weight";
    public const string Output = "output.weight";

    // Encoders (BERT): learned positions and token types, LayerNorms with biases after each sub-block.
    public const string TokenTypes = "token_types.weight";
    public const string PositionEmbedding = "position_embd.weight";
    public const string TokenEmbeddingNorm = "token_embd_norm.weight";
    public const string TokenEmbeddingNormBias = "token_embd_norm.bias";
    public const string AttentionOutputBias = "blk.{0}.attn_output.bias";
    public const string AttentionOutputNorm = "blk.{0}.attn_output_norm.weight";
    public const string AttentionOutputNormBias = "blk.{0}.attn_output_norm.bias";
    public const string FeedForwardUpBias = "blk.{0}.ffn_up.bias";
    public const string FeedForwardDownBias = "blk.{0}.ffn_down.bias";
    public const string LayerOutputNorm = "blk.{0}.layer_output_norm.weight";
    public const string LayerOutputNormBias = "blk.{0}.layer_output_norm.bias";

    public const string AttentionNorm = "blk.{0}.attn_norm.weight";
    public const string AttentionQ = "blk.{0}.attn_q.weight";
    public const string AttentionK = "blk.{0}.attn_k.weight";
    public const string AttentionV = "blk.{0}.attn_v.weight";
    public const string AttentionOutput = "blk.{0}.attn_output.weight";
    public const string AttentionQBias = "blk.{0}.attn_q.bias";
    public const string AttentionKBias = "blk.{0}.attn_k.bias";
    public const string AttentionVBias = "blk.{0}.attn_v.bias";
    public const string AttentionQNorm = "blk.{0}.attn_q_norm.weight";
    public const string AttentionKNorm = "blk.{0}.attn_k_norm.weight";

    public const string FeedForwardNorm = "blk.{0}.ffn_norm.weight";
    public const string FeedForwardGate = "blk.{0}.ffn_gate.weight";
    public const string FeedForwardUp = "blk.{0}.ffn_up.weight";
    public const string FeedForwardDown = "blk.{0}.ffn_down.weight";

    public const string ExpertRouter = "blk.{0}.ffn_gate_inp.weight";
    public const string ExpertGate = "blk.{0}.ffn_gate_exps.weight";
    public const string ExpertUp = "blk.{0}.ffn_up_exps.weight";
    public const string ExpertDown = "blk.{0}.ffn_down_exps.weight";

    public static string ForLayer(string format, int layer) => string.Format(CultureInfo.InvariantCulture, format, layer);
}
