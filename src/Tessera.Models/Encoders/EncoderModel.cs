using System.Numerics.Tensors;
using Tessera.Gguf;
using Tessera.Kernels;
using Tessera.Kernels.Attention;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;

namespace Tessera.Models.Encoders;

/// <summary>
/// A BERT-style encoder over weights in a GGUF file: token + token-type + learned position embeddings, LayerNorm, then
/// per layer bidirectional attention and a GELU feed-forward, each followed by residual add and LayerNorm (post-norm).
/// Produces hidden states, no logits; pooling them into sentence vectors is the embedder's business. Every sequence
/// of a batch must be whole (it sees all its tokens at once), so there is no KV cache. Runs on the CPU kernels with
/// weights read in place. Architecture files build it; it owns the file.
/// </summary>
public sealed unsafe class EncoderModel : IDisposable
{
    internal EncoderModel(GgufFile file, EncoderHyperparameters hp, WeightMatrix tokenEmbedding, float[]? tokenTypeEmbedding,
        WeightMatrix positionEmbedding, float[] embeddingNorm, float[] embeddingNormBias, EncoderLayerWeights[] layers)
    {
        File = file;
        Hyperparameters = hp;
        TokenEmbedding = tokenEmbedding;
        TokenTypeEmbedding = tokenTypeEmbedding;
        PositionEmbedding = positionEmbedding;
        EmbeddingNorm = embeddingNorm;
        EmbeddingNormBias = embeddingNormBias;
        Layers = layers;
    }

    public GgufFile File { get; }
    public EncoderHyperparameters Hyperparameters { get; }
    public WeightMatrix TokenEmbedding { get; }         // [n_vocab, n_embd]
    public float[]? TokenTypeEmbedding { get; }         // [n_embd] row 0 of token_types ("sentence A"; every token is type 0)
    public WeightMatrix PositionEmbedding { get; }      // [n_ctx, n_embd]
    public float[] EmbeddingNorm { get; }               // [n_embd]
    public float[] EmbeddingNormBias { get; }           // [n_embd]
    public IReadOnlyList<EncoderLayerWeights> Layers { get; }

    /// <summary>Receives named activations when set; null (off) by default.</summary>
    public ForwardTrace? Trace { get; set; }

    public int VocabularySize => Hyperparameters.VocabularySize;

    public EncoderScratch CreateScratch(int maxTokens) => new(Hyperparameters, maxTokens);

    /// <summary>
    /// Encodes the whole sequences of <paramref name="batch"/> (each run one sequence, positions from 0) and writes the
    /// last layer's hidden state of every token, in batch order, to <paramref name="hidden"/> [n_tokens, n_embd].
    /// </summary>
    public void Forward(TokenBatch batch, EncoderScratch scratch, KernelThreadPool pool, Span<float> hidden)
    {
        Validate(batch, scratch, hidden);
        var hp = Hyperparameters;
        int n = batch.Count, embd = hp.EmbeddingLength;
        var x = scratch.Hidden.AsSpan(0, n * embd);                   // [n_tokens, n_embd]
        for (int t = 0; t < n; t++)
        {
            var row = x.Slice(t * embd, embd);
            TokenEmbedding.DequantizeRow(batch.Tokens[t], row);
            PositionEmbedding.DequantizeRow(batch.Positions[t], scratch.Row);
            TensorPrimitives.Add(row, scratch.Row, row);
            if (TokenTypeEmbedding is not null)
                TensorPrimitives.Add(row, TokenTypeEmbedding, row);
        }
        TraceValues("inp_embd", -1, x, n);
        LayerNorm.ApplyRows(x, EmbeddingNorm, EmbeddingNormBias, hp.LayerNormEpsilon, x);
        TraceValues("inp_norm", -1, x, n);

        for (int layer = 0; layer < hp.LayerCount; layer++)
        {
            AttentionSubBlock(layer, Layers[layer], batch, scratch, pool);
            FeedForwardSubBlock(layer, Layers[layer], n, scratch, pool);
        }
        x.CopyTo(hidden);
    }

    /// <summary>x = layernorm(x + Wo · attention(Wq·x + bq, Wk·x + bk, Wv·x + bv) + bo), attention within each sequence.</summary>
    private void AttentionSubBlock(int layer, EncoderLayerWeights w, TokenBatch batch, EncoderScratch s, KernelThreadPool pool)
    {
        var hp = Hyperparameters;
        int n = batch.Count, embd = hp.EmbeddingLength;
        var x = s.Hidden.AsSpan(0, n * embd);                         // [n_tokens, n_embd]
        var q = s.Q.AsSpan(0, n * embd);                              // [n_tokens, n_head * head_dim]
        var k = s.K.AsSpan(0, n * embd);
        var v = s.V.AsSpan(0, n * embd);
        Linear(w.Q, w.QBias, x, n, q, pool);
        Linear(w.K, w.KBias, x, n, k, pool);
        Linear(w.V, w.VBias, x, n, v, pool);
        TraceValues("q", layer, q, n);
        TraceValues("k", layer, k, n);
        TraceValues("v", layer, v, n);

        var attention = s.Attention.AsSpan(0, n * embd);              // [n_tokens, n_head * head_dim]
        for (int r = 0; r < batch.RunCount; r++)
        {
            var (start, end) = batch.Run(r);
            var range = (start * embd)..(end * embd);
            BidirectionalAttention.Compute(q[range], k[range], v[range], end - start, hp.HeadCount, hp.HeadDim, attention[range], pool);
        }
        TraceValues("attn_out", layer, attention, n);

        var projected = s.Projected.AsSpan(0, n * embd);              // [n_tokens, n_embd]
        Linear(w.Output, w.OutputBias, attention, n, projected, pool);
        TensorPrimitives.Add(x, projected, x);
        LayerNorm.ApplyRows(x, w.AttentionOutputNorm, w.AttentionOutputNormBias, hp.LayerNormEpsilon, x);
        TraceValues("ffn_inp", layer, x, n);
    }

    /// <summary>x = layernorm(x + W_down · gelu(W_up · x + b_up) + b_down).</summary>
    private void FeedForwardSubBlock(int layer, EncoderLayerWeights w, int n, EncoderScratch s, KernelThreadPool pool)
    {
        var hp = Hyperparameters;
        int embd = hp.EmbeddingLength;
        var x = s.Hidden.AsSpan(0, n * embd);                         // [n_tokens, n_embd]
        var up = s.Up.AsSpan(0, n * hp.FeedForwardLength);            // [n_tokens, n_ff]
        Linear(w.Up, w.UpBias, x, n, up, pool);
        Gelu.Apply(up, up);
        var projected = s.Projected.AsSpan(0, n * embd);              // [n_tokens, n_embd]
        Linear(w.Down, w.DownBias, up, n, projected, pool);
        TraceValues("ffn_out", layer, projected, n);
        TensorPrimitives.Add(x, projected, x);
        LayerNorm.ApplyRows(x, w.LayerOutputNorm, w.LayerOutputNormBias, hp.LayerNormEpsilon, x);
        TraceValues("l_out", layer, x, n);
    }

    /// <summary>y [tokens, w.Rows] = x [tokens, w.Columns] · w^T (+ bias on every row).</summary>
    private static void Linear(in WeightMatrix w, float[]? bias, ReadOnlySpan<float> x, int tokens, Span<float> y, KernelThreadPool pool)
    {
        MatMul.Compute(w.Type, w.Data, w.Rows, w.Columns, x, tokens, y, pool);
        if (bias is null)
            return;
        for (int offset = 0; offset < y.Length; offset += bias.Length)
            TensorPrimitives.Add(y.Slice(offset, bias.Length), bias, y.Slice(offset, bias.Length));
    }

    private void TraceValues(string point, int layer, ReadOnlySpan<float> values, int tokens) => Trace?.Invoke(point, layer, values, tokens);

    private void Validate(TokenBatch batch, EncoderScratch scratch, Span<float> hidden)
    {
        var hp = Hyperparameters;
        if (batch.Count == 0)
            throw new ArgumentException("the batch is empty", nameof(batch));
        if (batch.Count > scratch.MaxTokens)
            throw new ArgumentException($"the batch has {batch.Count} tokens, the scratch holds {scratch.MaxTokens}", nameof(batch));
        if (hidden.Length < (long)batch.Count * hp.EmbeddingLength)
            throw new ArgumentException($"hidden holds {hidden.Length} values, need {batch.Count} x {hp.EmbeddingLength}", nameof(hidden));
        var seen = new HashSet<int>();
        for (int r = 0; r < batch.RunCount; r++)
        {
            var (start, end) = batch.Run(r);
            if (!seen.Add(batch.SequenceIds[start]))
                throw new ArgumentException($"sequence {batch.SequenceIds[start]} is split over two runs; an encoder needs each sequence whole", nameof(batch));
            if (end - start > hp.ContextLength)
                throw new ArgumentException($"sequence {batch.SequenceIds[start]} has {end - start} tokens, the encoder takes at most {hp.ContextLength}", nameof(batch));
            for (int t = start; t < end; t++)
            {
                if (batch.Positions[t] != t - start)
                    throw new ArgumentException($"sequence {batch.SequenceIds[start]} must hold positions 0, 1, ... in order (batch index {t} has {batch.Positions[t]})", nameof(batch));
                int token = batch.Tokens[t];
                if (token < 0 || token >= hp.VocabularySize)
                    throw new ArgumentException($"token id {token} is outside the vocabulary of {hp.VocabularySize} tokens", nameof(batch));
            }
        }
    }

    public void Dispose() => File.Dispose();
}
