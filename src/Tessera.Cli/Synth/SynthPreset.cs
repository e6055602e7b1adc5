namespace Tessera.Cli.Synth;

/// <summary>
/// The shape of a real model, for writing random-weight stand-ins of it (`tessera synth`).
/// Feed-forward fields: dense models use <see cref="FeedForwardLength"/>; MoE models use
/// <see cref="ExpertCount"/> experts of <see cref="ExpertFeedForwardLength"/>. Encoders (<see cref="Encoder"/>, BERT)
/// have learned positions, LayerNorms with biases and no output head; <see cref="RmsEpsilon"/> is then their LayerNorm
/// epsilon and <see cref="Pooling"/> their `pooling_type`.
/// </summary>
public sealed record SynthPreset(
    string Name,
    string Architecture,
    int EmbeddingLength,
    int BlockCount,
    int HeadCount,
    int HeadCountKv,
    int HeadDim,
    int FeedForwardLength,
    int ContextLength,
    float RopeFreqBase,
    float RmsEpsilon,
    bool TiedOutput,
    bool QkvBias = false,
    bool QkNorm = false,
    int ExpertCount = 0,
    int ExpertUsedCount = 0,
    int ExpertFeedForwardLength = 0,
    bool Encoder = false,
    int Pooling = 0)
{
    public static IReadOnlyList<SynthPreset> All { get; } =
    [
        // TinyLlama-1.1B: Llama 2 architecture, GQA 32/4, separate output.
        new("tinyllama-1.1b", "llama", 2048, 22, 32, 4, 64, 5632, 2048, 10000f, 1e-5f, TiedOutput: false),
        // Qwen2.5-0.5B: q/k/v biases, GQA 14/2, tied embeddings.
        new("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864, 32768, 1000000f, 1e-6f, TiedOutput: true, QkvBias: true),
        // A ~1B-parameter Qwen3-MoE: q/k RMS norms, 32 experts with 4 used per token.
        new("moe-1b", "qwen3moe", 1024, 16, 16, 4, 64, 768, 4096, 1000000f, 1e-6f, TiedOutput: false,
            QkNorm: true, ExpertCount: 32, ExpertUsedCount: 4, ExpertFeedForwardLength: 768),
        // A BERT-mini-shaped sentence encoder (pair it with a WordPiece vocab such as ggml-vocab-bert-bge.gguf): mean pooling.
        new("bert-mini", "bert", 128, 2, 4, 4, 32, 512, 512, 0f, 1e-12f, TiedOutput: true, Encoder: true, Pooling: 1),
    ];

    public static SynthPreset Parse(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new CliException($"unknown preset '{name}'; presets: {string.Join(", ", All.Select(p => p.Name))}");

    public bool IsMoe => ExpertCount > 0;
}
