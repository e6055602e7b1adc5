using Tessera.Gguf;
using Tessera.Kernels.Elementwise;
using Tessera.Kernels.Threading;
using Tessera.Models.Blocks;
using Tessera.Models.Loading;

namespace Tessera.Models;

/// <summary>
/// A decoder-only transformer over weights in a GGUF file: embedding, per layer attention then (dense or MoE)
/// feed-forward with pre-RMS-norms and residuals, final norm, output projection. Architecture files choose the
/// options and check the hyperparameters; the forward is shared. Owns the file (weights are read in place).
/// </summary>
public sealed class TransformerModel : IDisposable
{
    private TransformerModel(GgufFile file, Hyperparameters hp, TransformerOptions options, WeightMatrix tokenEmbedding,
        float[] outputNorm, WeightMatrix output, LayerWeights[] layers)
    {
        File = file;
        Hyperparameters = hp;
        Options = options;
        TokenEmbedding = tokenEmbedding;
        OutputNorm = outputNorm;
        Output = output;
        Layers = layers;
    }

    public GgufFile File { get; }
    public Hyperparameters Hyperparameters { get; }
    public TransformerOptions Options { get; }
    public WeightMatrix TokenEmbedding { get; }     // [n_vocab, n_embd]
    public float[] OutputNorm { get; }              // [n_embd]
    public WeightMatrix Output { get; }             // [n_vocab, n_embd]; the token embedding when tied
    public IReadOnlyList<LayerWeights> Layers { get; }

    /// <summary>Receives named activations when set; null (off) by default.</summary>
    public ForwardTrace? Trace { get; set; }

    public int VocabularySize => Hyperparameters.VocabularySize;

    /// <summary>Reads hyperparameters and the tensor manifest; <paramref name="moe"/> makes the expert keys and tensors required.</summary>
    internal static TransformerModel Create(GgufFile file, string architecture, TransformerOptions options, bool moe)
    {
        var tensors = new ModelTensors(file);
        var embeddingInfo = file.FindTensor(TensorNames.TokenEmbedding) ?? throw new ModelException($"required tensor {TensorNames.TokenEmbedding} is missing");
        if (embeddingInfo.DimensionCount != 2 || embeddingInfo.RowCount > int.MaxValue)
            throw new ModelException($"tensor {TensorNames.TokenEmbedding} has shape [{string.Join(", ", embeddingInfo.Dimensions)}], expected [n_embd, n_vocab]");
        var hp = HyperparameterReader.Read(file.Metadata, architecture, (int)embeddingInfo.RowCount, moe);
        HyperparameterReader.CheckSpecialTokens(file.Metadata, hp.VocabularySize);
        var embedding = tensors.Matrix(TensorNames.TokenEmbedding, hp.EmbeddingLength, hp.VocabularySize);
        var output = tensors.MatrixOrNull(TensorNames.Output, hp.EmbeddingLength, hp.VocabularySize) ?? embedding;
        var outputNorm = tensors.Vector(TensorNames.OutputNorm, hp.EmbeddingLength);
        var layers = new LayerWeights[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = LayerManifest.Load(tensors, hp, options, i);
        return new TransformerModel(file, hp, options, embedding, outputNorm, output, layers);
    }

    public ForwardScratch CreateScratch(int maxTokens) => new(Hyperparameters, maxTokens);

    /// <summary>
    /// Runs the batch through the model, storing its keys and values in <paramref name="cache"/>, and writes the
    /// logits of the tokens that want them, in batch order, to <paramref name="logits"/> [batch.LogitCount, n_vocab].
    /// </summary>
    public void Forward(TokenBatch batch, IKvCacheSeam cache, ForwardScratch scratch, Span<float> logits, KernelThreadPool pool)
    {
        Validate(batch, cache, scratch, logits);
        var hp = Hyperparameters;
        int n = batch.Count;
        int embd = hp.EmbeddingLength;
        var hidden = scratch.Hidden.AsSpan(0, n * embd);       // [n_tokens, n_embd]
        for (int t = 0; t < n; t++)
            TokenEmbedding.DequantizeRow(batch.Tokens[t], hidden.Slice(t * embd, embd));
        TraceValues("inp_embd", -1, hidden, n);

        for (int layer = 0; layer < hp.LayerCount; layer++)
        {
            AttentionBlock.Forward(this, layer, batch, cache, scratch, pool);
            FeedForwardBlock.Forward(this, layer, n, scratch, pool);
            TraceValues("l_out", layer, hidden, n);
        }

        int outputs = 0;
        var normed = scratch.Normed;                           // [n_outputs, n_embd]
        for (int t = 0; t < n; t++)
        {
            if (batch.WantsLogits[t])
                RmsNorm.Apply(hidden.Slice(t * embd, embd), OutputNorm, hp.RmsEpsilon, normed.AsSpan(outputs++ * embd, embd));
        }
        if (outputs > 0)
        {
            TraceValues("result_norm", -1, normed.AsSpan(0, outputs * embd), outputs);
            Linear.Apply(Output, normed.AsSpan(0, outputs * embd), outputs, logits[..(outputs * hp.VocabularySize)], pool);
        }
    }

    internal void TraceValues(string point, int layer, ReadOnlySpan<float> values, int tokens) => Trace?.Invoke(point, layer, values, tokens);

    private void Validate(TokenBatch batch, IKvCacheSeam cache, ForwardScratch scratch, Span<float> logits)
    {
        var hp = Hyperparameters;
        if (batch.Count == 0)
            throw new ArgumentException("the batch is empty", nameof(batch));
        if (batch.Count > scratch.MaxTokens)
            throw new ArgumentException($"the batch has {batch.Count} tokens, the scratch holds {scratch.MaxTokens}", nameof(batch));
        if (logits.Length < (long)batch.LogitCount * hp.VocabularySize)
            throw new ArgumentException($"logits hold {logits.Length} values, need {batch.LogitCount} x {hp.VocabularySize}", nameof(logits));
        for (int t = 0; t < batch.Count; t++)
        {
            int token = batch.Tokens[t];
            if (token < 0 || token >= hp.VocabularySize)
                throw new ArgumentException($"token id {token} is outside the vocabulary of {hp.VocabularySize} tokens", nameof(batch));
            if (batch.Positions[t] >= cache.PositionCapacity)
                throw new ArgumentException($"position {batch.Positions[t]} is beyond the context of {cache.PositionCapacity} tokens", nameof(batch));
            if (t > 0 && batch.SequenceIds[t] == batch.SequenceIds[t - 1] && batch.Positions[t] != batch.Positions[t - 1] + 1)
                throw new ArgumentException($"positions of sequence {batch.SequenceIds[t]} are not consecutive at batch index {t}", nameof(batch));
        }
    }

    public void Dispose() => File.Dispose();
}
