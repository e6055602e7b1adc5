using Tessera.Gguf;
using Tessera.Devices;
using Tessera.Models.Blocks;
using Tessera.Models.Experts;
using Tessera.Models.Loading;
using Tessera.Models.Placement;

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

    /// <summary>
    /// Weight bytes one decode token reads: every layer matrix and the output head once, and of the expert matrices the
    /// share a token is routed to (k of n experts, on average). The token embedding is left out: a token reads one row.
    /// </summary>
    public long DecodeWeightBytes
    {
        get
        {
            static long Of(WeightMatrix? m) => m is { } w ? w.Rows * w.RowBytes : 0;
            var hp = Hyperparameters;
            long bytes = Of(Output);
            foreach (var layer in Layers)
            {
                bytes += Of(layer.Q) + Of(layer.K) + Of(layer.V) + Of(layer.Output) + Of(layer.Gate) + Of(layer.Up) + Of(layer.Down) + Of(layer.Router);
                long experts = Of(layer.ExpertGate) + Of(layer.ExpertUp) + Of(layer.ExpertDown);
                if (experts > 0)
                    bytes += experts / hp.ExpertCount * hp.ExpertUsedCount;
            }
            return bytes;
        }
    }

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
    /// Runs the batch through the model on the devices of <paramref name="placement"/>, storing its keys and values in
    /// <paramref name="cache"/>, and writes the logits of the tokens that want them, in batch order, to
    /// <paramref name="logits"/> [batch.LogitCount, n_vocab]. The residual stream moves between devices only where
    /// consecutive parts run on different ones. A device failure surfaces as <see cref="Devices.DeviceFailedException"/>.
    /// MoE layers schedule their experts by <paramref name="schedule"/> and count their choices in <paramref name="statistics"/>.
    /// </summary>
    public void Forward(TokenBatch batch, ModelPlacement placement, IKvCacheSeam cache, ForwardScratch scratch, Span<float> logits,
        MoeSchedule schedule = MoeSchedule.Auto, ExpertStatistics? statistics = null)
    {
        Validate(batch, placement, cache, scratch, logits, Hyperparameters.VocabularySize);
        var (current, outputs) = RunToOutputs(batch, placement, cache, scratch, schedule, statistics);
        if (outputs == 0)
            return;
        var normed = current.Normed.Slice(0, outputs * Hyperparameters.EmbeddingLength);  // [n_outputs, n_embd]
        current.Device.LinearToHost(placement.Head, normed, outputs, logits[..(outputs * Hyperparameters.VocabularySize)]);
    }

    /// <summary>
    /// Like <see cref="Forward"/>, but stops before the output projection: writes the final-normed hidden states of the
    /// tokens that want logits, in batch order, to <paramref name="hidden"/> [batch.LogitCount, n_embd] (what decoder
    /// embedding models pool).
    /// </summary>
    public void ForwardHidden(TokenBatch batch, ModelPlacement placement, IKvCacheSeam cache, ForwardScratch scratch, Span<float> hidden,
        MoeSchedule schedule = MoeSchedule.Auto)
    {
        Validate(batch, placement, cache, scratch, hidden, Hyperparameters.EmbeddingLength);
        var (current, outputs) = RunToOutputs(batch, placement, cache, scratch, schedule, statistics: null);
        if (outputs == 0)
            return;
        int length = outputs * Hyperparameters.EmbeddingLength;
        current.Device.Read(current.Normed.Slice(0, length), hidden[..length]);
    }

    /// <summary>Embedding and every layer, then the final norm of the rows that want outputs, left in the head device's
    /// <see cref="DeviceScratch.Normed"/> [n_outputs, n_embd]; returns that scratch and the number of rows.</summary>
    private (DeviceScratch Head, int Outputs) RunToOutputs(TokenBatch batch, ModelPlacement placement, IKvCacheSeam cache, ForwardScratch scratch,
        MoeSchedule schedule, ExpertStatistics? statistics)
    {
        var hp = Hyperparameters;
        int n = batch.Count;
        int embd = hp.EmbeddingLength;
        foreach (var participant in placement.Devices)
            participant.BeginStep();

        var embedded = scratch.Embedded.AsSpan(0, n * embd);  // [n_tokens, n_embd]
        for (int t = 0; t < n; t++)
            TokenEmbedding.DequantizeRow(batch.Tokens[t], embedded.Slice(t * embd, embd));
        var current = scratch.On(placement.Attention[0].Device);
        current.Device.Write(current.Hidden.Slice(0, n * embd), embedded);
        TraceValues("inp_embd", -1, current.Hidden.Slice(0, n * embd), n);

        for (int layer = 0; layer < hp.LayerCount; layer++)
        {
            current = MoveHidden(current, placement.Attention[layer].Device, n, scratch);
            // On one device the attention's residual add is left to the feed-forward block, fused with its norm.
            bool fuseResidual = placement.Attention[layer].Device == placement.FeedForward[layer].Device;
            AttentionBlock.Forward(this, layer, placement.Attention[layer], batch, cache, current, addResidual: !fuseResidual);
            current = MoveHidden(current, placement.FeedForward[layer].Device, n, scratch);
            FeedForwardBlock.Forward(this, layer, placement.FeedForward[layer], n, current, scratch, schedule, statistics, placement.DeviceExperts,
                residualPending: fuseResidual);
            TraceValues("l_out", layer, current.Hidden.Slice(0, n * embd), n);
        }

        int outputs = 0;
        for (int t = 0; t < n; t++)
        {
            if (batch.WantsLogits[t])
                scratch.OutputRows[outputs++] = t;
        }
        if (outputs == 0)
            return (current, 0);
        current = MoveHidden(current, placement.HeadDevice, n, scratch);
        var device = current.Device;
        var normed = current.Normed.Slice(0, outputs * embd);  // [n_outputs, n_embd]
        device.GatherRows(current.Hidden.All, embd, scratch.OutputRows.AsSpan(0, outputs), normed);
        device.RmsNorm(normed, placement.HeadNorm, hp.RmsEpsilon, normed);
        TraceValues("result_norm", -1, normed, outputs);
        return (current, outputs);
    }

    /// <summary>The residual stream [n_tokens, n_embd] on <paramref name="device"/>: copied over from where it is when that is another device.</summary>
    private DeviceScratch MoveHidden(DeviceScratch from, ComputeDevice device, int tokens, ForwardScratch scratch)
    {
        if (from.Device == device)
            return from;
        var to = scratch.On(device);
        int length = tokens * Hyperparameters.EmbeddingLength;
        var staging = scratch.Embedded.AsSpan(0, length);
        from.Device.Read(from.Hidden.Slice(0, length), staging);
        device.Write(to.Hidden.Slice(0, length), staging);
        return to;
    }

    internal void TraceValues(string point, int layer, DeviceSpan values, int tokens)
    {
        if (Trace is null)
            return;
        var host = new float[values.Length];
        values.Device.Read(values, host);
        Trace(point, layer, host, tokens);
    }

    /// <param name="outputWidth">floats per output row: n_vocab for logits, n_embd for hidden states</param>
    private void Validate(TokenBatch batch, ModelPlacement placement, IKvCacheSeam cache, ForwardScratch scratch, Span<float> outputs, int outputWidth)
    {
        var hp = Hyperparameters;
        if (placement.Model != this)
            throw new ArgumentException("the placement belongs to another model", nameof(placement));
        if (batch.Count == 0)
            throw new ArgumentException("the batch is empty", nameof(batch));
        if (batch.Count > scratch.MaxTokens)
            throw new ArgumentException($"the batch has {batch.Count} tokens, the scratch holds {scratch.MaxTokens}", nameof(batch));
        if (outputs.Length < (long)batch.LogitCount * outputWidth)
            throw new ArgumentException($"the output holds {outputs.Length} values, need {batch.LogitCount} x {outputWidth}", nameof(outputs));
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
