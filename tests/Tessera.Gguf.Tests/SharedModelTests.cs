using Tessera.Gguf;
using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Gguf.Tests;

/// <summary>Every shared GGUF file opens, and known facts about some of them read back right.</summary>
public class SharedModelTests
{
    public static TheoryData<string> AllSharedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { SharedData.Models, SharedData.TokenizerVectors })
        {
            foreach (var file in Directory.GetFiles(dir, "*.gguf").Order(StringComparer.Ordinal))
                data.Add(Path.Combine(Path.GetFileName(dir), Path.GetFileName(file)));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllSharedFiles))]
    public void Opens_and_every_tensor_is_inside_the_file(string relativePath)
    {
        using var file = GgufFile.Open(Path.Combine(SharedData.Root, relativePath));

        Assert.Equal(3u, file.Version);
        Assert.False(string.IsNullOrEmpty(file.Metadata.GetString(GgufKeys.Architecture)));
        Assert.Equal(file.Metadata.Count, file.Metadata.Select(e => e.Key).Distinct().Count());
        long expectedOffset = 0;
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(expectedOffset, tensor.Offset);
            Assert.Equal(GgmlTypeTraits.Of(tensor.Type).BytesFor(tensor.ElementCount), tensor.ByteSize);
            Assert.Equal(tensor.ByteSize, file.GetData(tensor).Length);
            Assert.Same(tensor, file.GetTensor(tensor.Name));
            expectedOffset = (tensor.Offset + tensor.ByteSize + file.Alignment - 1) / file.Alignment * file.Alignment;
        }
    }

    [Fact]
    public void Stories260K_facts()
    {
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        var meta = file.Metadata;

        Assert.Equal("llama", meta.GetString(GgufKeys.Architecture));
        Assert.Equal(5, meta.GetInt32(GgufKeys.ForArch(GgufKeys.BlockCount, "llama")));
        Assert.Equal(64, meta.GetInt32(GgufKeys.ForArch(GgufKeys.EmbeddingLength, "llama")));
        Assert.Equal(8, meta.GetInt32(GgufKeys.ForArch(GgufKeys.HeadCount, "llama")));
        Assert.Equal(4, meta.GetInt32(GgufKeys.ForArch(GgufKeys.HeadCountKv, "llama")));
        Assert.Equal(2048, meta.GetInt32(GgufKeys.ForArch(GgufKeys.ContextLength, "llama")));
        Assert.Equal(512, meta.GetStringArray(GgufKeys.TokenizerTokens).Length);
        Assert.Equal(512, meta.GetFloatArray(GgufKeys.TokenizerScores).Length);
        Assert.Equal(512, meta.GetInt32Array(GgufKeys.TokenizerTokenType).Length);
        Assert.Equal("llama", meta.GetString(GgufKeys.TokenizerModel));

        var embedding = file.GetTensor("token_embd.weight");
        Assert.Equal(GgmlType.F32, embedding.Type);
        Assert.Equal([64L, 512L], embedding.Dimensions);
        Assert.Equal(64, embedding.RowLength);
        Assert.Equal(512, embedding.RowCount);
        Assert.Equal(64 * 512 * 4, embedding.ByteSize);
        Assert.NotNull(file.FindTensor("output.weight"));
        Assert.Null(file.FindTensor("no.such.tensor"));
    }

    [Fact]
    public void Stories260K_weights_are_plausible_floats()
    {
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        var norm = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(file.GetData(file.GetTensor("blk.0.attn_norm.weight")));

        Assert.Equal(64, norm.Length);
        foreach (var value in norm)
            Assert.True(float.IsFinite(value) && Math.Abs(value) < 100, $"implausible norm weight {value}");
    }

    [Fact]
    public void Syn_llama_Q4_0_facts()
    {
        using var file = GgufFile.Open(SharedData.Model("syn-llama-Q4_0.gguf"));

        var q = file.GetTensor("blk.0.attn_q.weight");
        Assert.Equal(GgmlType.Q4_0, q.Type);
        Assert.Equal([256L, 256L], q.Dimensions);
        Assert.Equal(256 * 256 / 32 * 18, q.ByteSize);
        Assert.Equal(32000, file.Metadata.GetStringArray(GgufKeys.TokenizerTokens).Length);
        Assert.Equal(4, file.Metadata.GetInt32(GgufKeys.ForArch(GgufKeys.BlockCount, "llama")));
    }

    [Fact]
    public void Qwen2_vocabulary_reads_all_tokens_and_merges()
    {
        using var file = GgufFile.Open(Path.Combine(SharedData.TokenizerVectors, "ggml-vocab-qwen2.gguf"));

        Assert.Equal(151936, file.Metadata.GetStringArray(GgufKeys.TokenizerTokens).Length);
        Assert.Equal("gpt2", file.Metadata.GetString(GgufKeys.TokenizerModel));
        Assert.NotEmpty(file.Metadata.GetStringArray(GgufKeys.TokenizerMerges));
    }

    [Fact]
    public void Missing_tensor_names_it()
    {
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"));

        var error = Assert.Throws<GgufFormatException>(() => file.GetTensor("blk.9.attn_q.weight"));
        Assert.Equal("blk.9.attn_q.weight", error.Field);
        Assert.Contains("'blk.9.attn_q.weight'", error.Message);
    }
}
