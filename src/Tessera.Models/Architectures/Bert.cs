using Tessera.Gguf;
using Tessera.Models.Encoders;
using Tessera.Models.Loading;
using static Tessera.Models.TensorNames;

namespace Tessera.Models.Architectures;

/// <summary>
/// `bert`: BERT and the sentence-embedding models built on it (MiniLM, BGE, E5, ...). An encoder: learned absolute
/// positions, one token type (all tokens "sentence A"), bidirectional multi-head attention, post-LayerNorm blocks with
/// biases, GELU feed-forward. Pooling (mean, [CLS] or last) comes from `bert.pooling_type`. Q, K and V are separate
/// tensors (the fused `attn_qkv` layout some converters write is not read).
/// </summary>
public static class Bert
{
    public const string Name = "bert";

    public static EncoderModel Load(GgufFile file)
    {
        var tensors = new ModelTensors(file);
        var embeddingInfo = file.FindTensor(TokenEmbedding) ?? throw new ModelException($"required tensor {TokenEmbedding} is missing");
        if (embeddingInfo.DimensionCount != 2 || embeddingInfo.RowCount > int.MaxValue)
            throw new ModelException($"tensor {TokenEmbedding} has shape [{string.Join(", ", embeddingInfo.Dimensions)}], expected [n_embd, n_vocab]");
        var hp = ReadHyperparameters(file.Metadata, (int)embeddingInfo.RowCount);
        HyperparameterReader.CheckSpecialTokens(file.Metadata, hp.VocabularySize);

        int embd = hp.EmbeddingLength;
        var tokenEmbedding = tensors.Matrix(TokenEmbedding, embd, hp.VocabularySize);
        var positions = tensors.Matrix(PositionEmbedding, embd, hp.ContextLength);
        float[]? tokenType = null;
        if (file.FindTensor(TokenTypes) is { } types)
        {
            // Only row 0 is used; the row count is the file's token type count (usually 2).
            var matrix = tensors.Matrix(TokenTypes, embd, Math.Max(1, types.Dimension(1)));
            tokenType = new float[embd];
            matrix.DequantizeRow(0, tokenType);
        }
        var layers = new EncoderLayerWeights[hp.LayerCount];
        for (int i = 0; i < layers.Length; i++)
            layers[i] = LoadLayer(tensors, hp, i);
        return new EncoderModel(file, hp, tokenEmbedding, tokenType, positions,
            tensors.Vector(TokenEmbeddingNorm, embd), tensors.Vector(TokenEmbeddingNormBias, embd), layers);
    }

    // Hyperparameters: the common shape keys plus the LayerNorm epsilon and the pooling type.
    public static EncoderHyperparameters ReadHyperparameters(GgufMetadata metadata, int vocabularySize)
    {
        static string Key(string format) => GgufKeys.ForArch(format, Name);
        int Required(string format) => HyperparameterReader.RequiredDimension(metadata, Key(format));

        int embedding = Required(GgufKeys.EmbeddingLength);
        int heads = Required(GgufKeys.HeadCount);
        int kvHeads = HyperparameterReader.OptionalDimension(metadata, Key(GgufKeys.HeadCountKv)) ?? heads;
        if (kvHeads != heads)
            throw new ModelException($"{Key(GgufKeys.HeadCountKv)} = {kvHeads} differs from {Key(GgufKeys.HeadCount)} = {heads}; BERT has no grouped-query attention");
        if (embedding % heads != 0)
            throw new ModelException($"{Key(GgufKeys.HeadCount)} = {heads} does not divide {Key(GgufKeys.EmbeddingLength)} = {embedding}");
        if (metadata.GetBoolOrNull(Key(GgufKeys.AttentionCausal)) == true)
            throw new ModelException($"{Key(GgufKeys.AttentionCausal)} is true; a causal BERT is not supported");
        float epsilon = metadata.GetFloatOrNull(Key(GgufKeys.LayerNormEpsilon)) ?? throw new ModelException($"required key {Key(GgufKeys.LayerNormEpsilon)} is missing");
        if (!(epsilon >= 0) || float.IsInfinity(epsilon))
            throw new ModelException($"{Key(GgufKeys.LayerNormEpsilon)} = {epsilon} must be a non-negative number");
        int context = Required(GgufKeys.ContextLength);
        if (context > Kernels.Attention.BidirectionalAttention.MaxSequenceLength)
            throw new ModelException($"{Key(GgufKeys.ContextLength)} = {context} exceeds the {Kernels.Attention.BidirectionalAttention.MaxSequenceLength} positions the encoder attends over");

        return new EncoderHyperparameters
        {
            Architecture = Name,
            VocabularySize = vocabularySize,
            ContextLength = context,
            EmbeddingLength = embedding,
            LayerCount = Required(GgufKeys.BlockCount),
            HeadCount = heads,
            HeadDim = embedding / heads,
            FeedForwardLength = Required(GgufKeys.FeedForwardLength),
            LayerNormEpsilon = epsilon,
            Pooling = HyperparameterReader.ReadPooling(metadata, Name) ?? PoolingType.Mean,
        };
    }

    // Tensor manifest of one layer: separate q/k/v, optional biases, two LayerNorms with biases.
    private static EncoderLayerWeights LoadLayer(ModelTensors tensors, EncoderHyperparameters hp, int layer)
    {
        string N(string format) => ForLayer(format, layer);
        int embd = hp.EmbeddingLength, ff = hp.FeedForwardLength;
        return new EncoderLayerWeights
        {
            Q = tensors.Matrix(N(AttentionQ), embd, embd),
            K = tensors.Matrix(N(AttentionK), embd, embd),
            V = tensors.Matrix(N(AttentionV), embd, embd),
            Output = tensors.Matrix(N(AttentionOutput), embd, embd),
            QBias = tensors.VectorOrNull(N(AttentionQBias), embd),
            KBias = tensors.VectorOrNull(N(AttentionKBias), embd),
            VBias = tensors.VectorOrNull(N(AttentionVBias), embd),
            OutputBias = tensors.VectorOrNull(N(AttentionOutputBias), embd),
            AttentionOutputNorm = tensors.Vector(N(AttentionOutputNorm), embd),
            AttentionOutputNormBias = tensors.Vector(N(AttentionOutputNormBias), embd),
            Up = tensors.Matrix(N(FeedForwardUp), embd, ff),
            Down = tensors.Matrix(N(FeedForwardDown), ff, embd),
            UpBias = tensors.VectorOrNull(N(FeedForwardUpBias), ff),
            DownBias = tensors.VectorOrNull(N(FeedForwardDownBias), embd),
            LayerOutputNorm = tensors.Vector(N(LayerOutputNorm), embd),
            LayerOutputNormBias = tensors.Vector(N(LayerOutputNormBias), embd),
        };
    }
}
