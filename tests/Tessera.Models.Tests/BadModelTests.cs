using Tessera.Gguf;
using Tessera.Testing;

namespace Tessera.Models.Tests;

/// <summary>Model files that contradict themselves fail at load with a <see cref="ModelException"/> naming the culprit.</summary>
public sealed class BadModelTests
{
    [Fact]
    public void Unknown_architecture_is_named()
    {
        var e = LoadModified(w => w.Set(GgufKeys.Architecture, "mamba"));
        Assert.Contains("unknown architecture 'mamba'", e.Message);
    }

    [Fact]
    public void Head_count_must_divide_the_embedding()
    {
        var e = LoadModified(w => w.Set("llama.attention.head_count", 7u));
        Assert.Contains("llama.attention.head_count", e.Message);
    }

    [Fact]
    public void Kv_heads_must_divide_heads()
    {
        var e = LoadModified(w => w.Set("llama.attention.head_count_kv", 3u));
        Assert.Contains("llama.attention.head_count_kv", e.Message);
    }

    [Fact]
    public void Missing_hyperparameter_is_named()
    {
        var e = LoadModified(w => w.Remove("llama.block_count"));
        Assert.Contains("llama.block_count", e.Message);
    }

    [Fact]
    public void Special_token_outside_the_vocabulary_is_named()
    {
        var e = LoadModified(w => w.Set(GgufKeys.TokenizerBosTokenId, 100000u));
        Assert.Contains(GgufKeys.TokenizerBosTokenId, e.Message);
    }

    [Fact]
    public void Vocabulary_size_key_must_match_the_embedding()
    {
        var e = LoadModified(w => w.Set("llama.vocab_size", 600u));
        Assert.Contains("llama.vocab_size", e.Message);
    }

    [Fact]
    public void Tensor_with_the_wrong_shape_is_named()
    {
        var e = LoadModified(w => w.Set("llama.feed_forward_length", 64u));
        Assert.Contains("blk.0.ffn_gate.weight", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        var e = LoadModified(_ => { }, skipTensor: "blk.2.attn_k.weight");
        Assert.Contains("blk.2.attn_k.weight", e.Message);
    }

    /// <summary>Copies stories260K with a change and expects loading it to fail.</summary>
    private static ModelException LoadModified(Action<GgufWriter> change, string? skipTensor = null)
    {
        using var temp = new TempFile();
        using (var source = GgufFile.Open(SharedData.Model("stories260K.gguf")))
        {
            var writer = new GgufWriter();
            foreach (var entry in source.Metadata)
                writer.Set(entry);
            change(writer);
            foreach (var tensor in source.Tensors)
            {
                if (tensor.Name != skipTensor)
                    writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, source.GetData(tensor).ToArray());
            }
            writer.WriteTo(temp.Path);
        }
        return Assert.Throws<ModelException>(() => ModelLoader.Load(temp.Path).Dispose());
    }
}
