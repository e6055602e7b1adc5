using Tessera.Cli.Quantize;
using Tessera.Gguf;
using Tessera.Tensors;

namespace Tessera.Cli.Synth;

/// <summary>How a synthetic tensor's values are drawn.</summary>
public enum SynthValues
{
    /// <summary>Matrices: N(0, 0.02), the usual initialisation scale.</summary>
    Weight,
    /// <summary>RMSNorm gains: 1 + 0.05 N(0, 1), near one so activations keep their scale.</summary>
    Norm,
    /// <summary>Biases: N(0, 0.02).</summary>
    Bias,
}

/// <summary>One tensor of a synthetic model. Dimensions in ggml order ([0] = row length).</summary>
public sealed record SynthTensor(string Name, long[] Dimensions, SynthValues Values);

/// <summary>
/// Writes a deterministic random-weight GGUF model with a preset's shape, the tokenizer of a vocab GGUF, and weights
/// stored as a quantization preset would store them (same tensor type plan as `tessera quantize`).
/// </summary>
public static class SyntheticModel
{
    public static IReadOnlyList<SynthTensor> Tensors(SynthPreset p, int vocabularySize) =>
        p.Encoder ? EncoderTensors(p, vocabularySize) : DecoderTensors(p, vocabularySize);

    /// <summary>The BERT layout llama.cpp writes: embeddings with their LayerNorm, per layer biased q/k/v/output, the
    /// post-attention LayerNorm, biased up/down and the layer output LayerNorm.</summary>
    private static List<SynthTensor> EncoderTensors(SynthPreset p, int vocabularySize)
    {
        long embd = p.EmbeddingLength, ff = p.FeedForwardLength;
        var list = new List<SynthTensor>
        {
            new("token_embd.weight", [embd, vocabularySize], SynthValues.Weight),
            new("token_types.weight", [embd, 2], SynthValues.Weight),
            new("position_embd.weight", [embd, p.ContextLength], SynthValues.Weight),
            new("token_embd_norm.weight", [embd], SynthValues.Norm),
            new("token_embd_norm.bias", [embd], SynthValues.Bias),
        };
        for (int layer = 0; layer < p.BlockCount; layer++)
        {
            string b = $"blk.{layer}.";
            foreach (string name in new[] { "attn_q", "attn_k", "attn_v", "attn_output" })
            {
                list.Add(new(b + name + ".weight", [embd, embd], SynthValues.Weight));
                list.Add(new(b + name + ".bias", [embd], SynthValues.Bias));
            }
            list.Add(new(b + "attn_output_norm.weight", [embd], SynthValues.Norm));
            list.Add(new(b + "attn_output_norm.bias", [embd], SynthValues.Bias));
            list.Add(new(b + "ffn_up.weight", [embd, ff], SynthValues.Weight));
            list.Add(new(b + "ffn_up.bias", [ff], SynthValues.Bias));
            list.Add(new(b + "ffn_down.weight", [ff, embd], SynthValues.Weight));
            list.Add(new(b + "ffn_down.bias", [embd], SynthValues.Bias));
            list.Add(new(b + "layer_output_norm.weight", [embd], SynthValues.Norm));
            list.Add(new(b + "layer_output_norm.bias", [embd], SynthValues.Bias));
        }
        return list;
    }

    private static List<SynthTensor> DecoderTensors(SynthPreset p, int vocabularySize)
    {
        long embd = p.EmbeddingLength, qDim = (long)p.HeadCount * p.HeadDim, kvDim = (long)p.HeadCountKv * p.HeadDim;
        var list = new List<SynthTensor>
        {
            new("token_embd.weight", [embd, vocabularySize], SynthValues.Weight),
            new("output_norm.weight", [embd], SynthValues.Norm),
        };
        if (!p.TiedOutput)
            list.Add(new("output.weight", [embd, vocabularySize], SynthValues.Weight));

        for (int layer = 0; layer < p.BlockCount; layer++)
        {
            string b = $"blk.{layer}.";
            list.Add(new(b + "attn_norm.weight", [embd], SynthValues.Norm));
            list.Add(new(b + "attn_q.weight", [embd, qDim], SynthValues.Weight));
            list.Add(new(b + "attn_k.weight", [embd, kvDim], SynthValues.Weight));
            list.Add(new(b + "attn_v.weight", [embd, kvDim], SynthValues.Weight));
            if (p.QkvBias)
            {
                list.Add(new(b + "attn_q.bias", [qDim], SynthValues.Bias));
                list.Add(new(b + "attn_k.bias", [kvDim], SynthValues.Bias));
                list.Add(new(b + "attn_v.bias", [kvDim], SynthValues.Bias));
            }
            if (p.QkNorm)
            {
                list.Add(new(b + "attn_q_norm.weight", [p.HeadDim], SynthValues.Norm));
                list.Add(new(b + "attn_k_norm.weight", [p.HeadDim], SynthValues.Norm));
            }
            list.Add(new(b + "attn_output.weight", [qDim, embd], SynthValues.Weight));
            list.Add(new(b + "ffn_norm.weight", [embd], SynthValues.Norm));
            if (p.IsMoe)
            {
                long eff = p.ExpertFeedForwardLength, n = p.ExpertCount;
                list.Add(new(b + "ffn_gate_inp.weight", [embd, n], SynthValues.Weight));
                list.Add(new(b + "ffn_gate_exps.weight", [embd, eff, n], SynthValues.Weight));
                list.Add(new(b + "ffn_up_exps.weight", [embd, eff, n], SynthValues.Weight));
                list.Add(new(b + "ffn_down_exps.weight", [eff, embd, n], SynthValues.Weight));
            }
            else
            {
                list.Add(new(b + "ffn_gate.weight", [embd, p.FeedForwardLength], SynthValues.Weight));
                list.Add(new(b + "ffn_up.weight", [embd, p.FeedForwardLength], SynthValues.Weight));
                list.Add(new(b + "ffn_down.weight", [(long)p.FeedForwardLength, embd], SynthValues.Weight));
            }
        }
        return list;
    }

    public static void Write(SynthPreset preset, QuantizationPreset type, GgufFile vocabulary, string outputPath, ulong seed, IQuantizeProgress progress)
    {
        var vocabMetadata = vocabulary.Metadata;
        int vocabularySize = vocabMetadata.GetStringArray(GgufKeys.TokenizerTokens).Length;
        var tensors = Tensors(preset, vocabularySize);
        var planner = new TensorTypePlanner(type, preset.BlockCount, hasSeparateOutput: !preset.TiedOutput);
        var plans = tensors.Select(t => new TensorPlan(t.Name, t.Dimensions, planner.Choose(t.Name, t.Dimensions))).ToArray();

        var writer = new GgufWriter();
        WriteMetadata(writer, preset, type, vocabularySize);
        foreach (var entry in vocabMetadata.Where(e => e.Key.StartsWith("tokenizer.", StringComparison.Ordinal)))
            writer.Set(entry);

        progress.Start(plans);
        for (int i = 0; i < plans.Length; i++)
        {
            var (tensor, plan) = (tensors[i], plans[i]);
            ulong tensorSeed = NormalSampler.Seed(seed, tensor.Name);
            var (mean, stddev) = tensor.Values switch
            {
                SynthValues.Norm => (1f, 0.05f),
                _ => (0f, 0.02f),
            };
            writer.AddTensor(plan.Name, plan.Target, plan.Dimensions, stream =>
            {
                progress.BeginTensor(plan);
                TensorEncoder.Encode(stream, plan.Target, plan.Dimensions[0], plan.RowCount,
                    (row, destination) => NormalSampler.Fill(NormalSampler.Seed(tensorSeed, (ulong)row), destination, mean, stddev),
                    rows => progress.Advance(plan, rows));
                progress.EndTensor(plan);
            });
        }

        AtomicFile.Write(outputPath, writer.WriteTo);
        progress.Finish();
    }

    private static void WriteMetadata(GgufWriter writer, SynthPreset p, QuantizationPreset type, int vocabularySize)
    {
        string arch = p.Architecture;
        writer.Set(GgufKeys.Architecture, arch);
        writer.Set(GgufKeys.Name, $"synth-{p.Name}");
        writer.Set(GgufKeys.ForArch(GgufKeys.ContextLength, arch), (uint)p.ContextLength);
        writer.Set(GgufKeys.ForArch(GgufKeys.EmbeddingLength, arch), (uint)p.EmbeddingLength);
        writer.Set(GgufKeys.ForArch(GgufKeys.BlockCount, arch), (uint)p.BlockCount);
        writer.Set(GgufKeys.ForArch(GgufKeys.FeedForwardLength, arch), (uint)p.FeedForwardLength);
        writer.Set(GgufKeys.ForArch(GgufKeys.HeadCount, arch), (uint)p.HeadCount);
        if (p.Encoder)
        {
            writer.Set(GgufKeys.ForArch(GgufKeys.LayerNormEpsilon, arch), p.RmsEpsilon);
            writer.Set(GgufKeys.ForArch(GgufKeys.AttentionCausal, arch), false);
            writer.Set(GgufKeys.ForArch(GgufKeys.PoolingType, arch), (uint)p.Pooling);
        }
        else
        {
            WriteDecoderMetadata(writer, p, vocabularySize);
        }
        writer.Set(GgufKeys.FileType, (uint)type.FileType);
        writer.Set(GgufKeys.QuantizationVersion, 2u);
    }

    private static void WriteDecoderMetadata(GgufWriter writer, SynthPreset p, int vocabularySize)
    {
        string arch = p.Architecture;
        writer.Set(GgufKeys.ForArch(GgufKeys.HeadCountKv, arch), (uint)p.HeadCountKv);
        writer.Set(GgufKeys.ForArch(GgufKeys.RopeFreqBase, arch), p.RopeFreqBase);
        writer.Set(GgufKeys.ForArch(GgufKeys.LayerNormRmsEpsilon, arch), p.RmsEpsilon);
        writer.Set(GgufKeys.ForArch(GgufKeys.RopeDimensionCount, arch), (uint)p.HeadDim);
        writer.Set(GgufKeys.ForArch(GgufKeys.KeyLength, arch), (uint)p.HeadDim);
        writer.Set(GgufKeys.ForArch(GgufKeys.ValueLength, arch), (uint)p.HeadDim);
        writer.Set(GgufKeys.ForArch(GgufKeys.VocabSize, arch), (uint)vocabularySize);
        if (p.IsMoe)
        {
            writer.Set(GgufKeys.ForArch(GgufKeys.ExpertCount, arch), (uint)p.ExpertCount);
            writer.Set(GgufKeys.ForArch(GgufKeys.ExpertUsedCount, arch), (uint)p.ExpertUsedCount);
            writer.Set(GgufKeys.ForArch(GgufKeys.ExpertFeedForwardLength, arch), (uint)p.ExpertFeedForwardLength);
        }
    }
}
