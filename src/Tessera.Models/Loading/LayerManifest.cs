using static Tessera.Models.TensorNames;

namespace Tessera.Models.Loading;

/// <summary>
/// The per-layer tensor manifest of the decoder-only transformer: which tensors a layer has and the shapes the
/// hyperparameters imply. Optional groups (biases, Q/K norms, experts) are required exactly when the options say so.
/// </summary>
public static class LayerManifest
{
    public static LayerWeights Load(ModelTensors tensors, Hyperparameters hp, TransformerOptions options, int layer)
    {
        string N(string format) => ForLayer(format, layer);
        int embd = hp.EmbeddingLength;
        return new LayerWeights
        {
            AttentionNorm = tensors.Vector(N(AttentionNorm), embd),
            Q = tensors.Matrix(N(AttentionQ), embd, hp.QueryLength),
            K = tensors.Matrix(N(AttentionK), embd, hp.KvLength),
            V = tensors.Matrix(N(AttentionV), embd, hp.KvLength),
            Output = tensors.Matrix(N(AttentionOutput), hp.QueryLength, embd),
            QBias = options.AttentionBias ? tensors.Vector(N(AttentionQBias), hp.QueryLength) : null,
            KBias = options.AttentionBias ? tensors.Vector(N(AttentionKBias), hp.KvLength) : null,
            VBias = options.AttentionBias ? tensors.Vector(N(AttentionVBias), hp.KvLength) : null,
            QNorm = options.QkNorm ? tensors.Vector(N(AttentionQNorm), hp.HeadDim) : null,
            KNorm = options.QkNorm ? tensors.Vector(N(AttentionKNorm), hp.HeadDim) : null,
            FeedForwardNorm = tensors.Vector(N(FeedForwardNorm), embd),
            Gate = hp.IsMixtureOfExperts ? null : tensors.Matrix(N(FeedForwardGate), embd, hp.FeedForwardLength),
            Up = hp.IsMixtureOfExperts ? null : tensors.Matrix(N(FeedForwardUp), embd, hp.FeedForwardLength),
            Down = hp.IsMixtureOfExperts ? null : tensors.Matrix(N(FeedForwardDown), hp.FeedForwardLength, embd),
            Router = hp.IsMixtureOfExperts ? tensors.Matrix(N(ExpertRouter), embd, hp.ExpertCount) : null,
            ExpertGate = hp.IsMixtureOfExperts ? tensors.Experts(N(ExpertGate), embd, hp.ExpertFeedForwardLength, hp.ExpertCount) : null,
            ExpertUp = hp.IsMixtureOfExperts ? tensors.Experts(N(ExpertUp), embd, hp.ExpertFeedForwardLength, hp.ExpertCount) : null,
            ExpertDown = hp.IsMixtureOfExperts ? tensors.Experts(N(ExpertDown), hp.ExpertFeedForwardLength, embd, hp.ExpertCount) : null,
        };
    }
}
