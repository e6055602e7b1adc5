using System.Security.Cryptography;
using Tessera.Cli.Quantize;
using Tessera.Cli.Synth;
using Tessera.Gguf;
using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Cli.Tests;

public class SynthTests
{
    private static readonly string Vocab = SharedData.Model("stories260K.gguf");

    /// <summary>A small model with every feature the real presets use (biases, q/k norms, experts), so tests stay fast.</summary>
    private static SynthPreset Small(bool moe) => moe
        ? new SynthPreset("tiny-moe", "qwen3moe", 256, 2, 4, 2, 64, 256, 512, 1e6f, 1e-6f, TiedOutput: false, QkNorm: true,
            ExpertCount: 8, ExpertUsedCount: 2, ExpertFeedForwardLength: 256)
        : new SynthPreset("tiny-qwen2", "qwen2", 256, 2, 4, 2, 64, 512, 512, 1e6f, 1e-6f, TiedOutput: true, QkvBias: true);

    private static void Write(SynthPreset preset, string type, string path, ulong seed)
    {
        using var vocab = GgufFile.Open(Vocab);
        SyntheticModel.Write(preset, QuantizationPreset.Parse(type), vocab, path, seed, new LineProgress(TextWriter.Null));
    }

    [Theory]
    [InlineData(false, "Q4_0")]
    [InlineData(true, "Q4_K_M")]
    [InlineData(false, "F16")]
    public void Synthetic_model_has_the_preset_shape_and_tokenizer(bool moe, string type)
    {
        var preset = Small(moe);
        using var file = new TempFile();
        Write(preset, type, file.Path, 7);
        using var model = GgufFile.Open(file.Path);
        string arch = preset.Architecture;
        Assert.Equal(arch, model.Metadata.GetString(GgufKeys.Architecture));
        Assert.Equal(preset.BlockCount, model.Metadata.GetInteger(GgufKeys.ForArch(GgufKeys.BlockCount, arch)));
        Assert.Equal(512, model.Metadata.GetStringArray(GgufKeys.TokenizerTokens).Length);
        Assert.Equal("llama", model.Metadata.GetString(GgufKeys.TokenizerModel));
        Assert.Equal(SyntheticModel.Tensors(preset, 512).Select(t => t.Name), model.Tensors.Select(t => t.Name));
        Assert.Equal([256L, 512L], model.GetTensor("token_embd.weight").Dimensions);
        if (moe)
            Assert.Equal([256L, 256L, 8L], model.GetTensor("blk.1.ffn_up_exps.weight").Dimensions);
        else
            Assert.Equal([128L], model.GetTensor("blk.0.attn_k.bias").Dimensions);
    }

    [Fact]
    public void Values_follow_the_stated_distributions()
    {
        using var file = new TempFile();
        Write(Small(moe: false), "F16", file.Path, 1);
        using var model = GgufFile.Open(file.Path);
        var (weightMean, weightStd) = Stats(model, "blk.0.ffn_up.weight");
        Assert.InRange(weightMean, -0.001, 0.001);
        Assert.InRange(weightStd, 0.019, 0.021);
        var (normMean, normStd) = Stats(model, "blk.0.attn_norm.weight");
        Assert.InRange(normMean, 0.99, 1.01);
        Assert.InRange(normStd, 0.04, 0.06);
    }

    [Fact]
    public void Same_seed_same_bytes_other_seed_other_bytes()
    {
        using var a = new TempFile();
        using var b = new TempFile();
        using var c = new TempFile();
        Write(Small(moe: false), "Q8_0", a.Path, 11);
        Write(Small(moe: false), "Q8_0", b.Path, 11);
        Write(Small(moe: false), "Q8_0", c.Path, 12);
        Assert.Equal(Hash(a.Path), Hash(b.Path));
        Assert.NotEqual(Hash(a.Path), Hash(c.Path));
    }

    [Fact]
    public void Synth_command_writes_a_loadable_model()
    {
        using var file = new TempFile();
        // The real presets are 0.5-1.3B parameters; the command is exercised end to end on the smallest one.
        var result = CliRunner.Run("synth", "--preset", "qwen2.5-0.5b", "--type", "Q4_0", "--vocab", Vocab, file.Path);
        Assert.Equal(0, result.ExitCode);
        using var model = GgufFile.Open(file.Path);
        Assert.Equal("qwen2", model.Metadata.GetString(GgufKeys.Architecture));
        Assert.Equal(24 * 12 + 2, model.Tensors.Count);  // per layer: 2 norms, q/k/v + biases, output, gate/up/down
        // Tied embedding doubles as the output projection: Q6_K, which rows of 896 cannot hold, so its fallback Q8_0.
        Assert.Equal(GgmlType.Q8_0, model.GetTensor("token_embd.weight").Type);
        Assert.Equal(GgmlType.Q4_0, model.GetTensor("blk.3.ffn_down.weight").Type);
    }

    [Fact]
    public void Normal_sampler_is_standard_normal()
    {
        var samples = new float[1 << 20];
        NormalSampler.Fill(123, samples, 0, 1);
        double mean = samples.Average(x => (double)x);
        double variance = samples.Average(x => (x - mean) * (x - mean));
        double beyondTwoSigma = samples.Count(x => Math.Abs(x) > 2) / (double)samples.Length;
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.98, 1.02);
        Assert.InRange(beyondTwoSigma, 0.043, 0.048);  // 4.55% for a true normal
    }

    private static (double Mean, double Std) Stats(GgufFile model, string name)
    {
        var tensor = model.GetTensor(name);
        var values = new float[tensor.ElementCount];
        Quantization.Dequantize(tensor.Type, model.GetData(tensor), values);
        double mean = values.Average(v => (double)v);
        return (mean, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))));
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
