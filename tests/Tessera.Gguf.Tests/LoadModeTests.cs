using Tessera.Testing;

namespace Tessera.Gguf.Tests;

/// <summary>Reading a file into memory (<see cref="GgufLoadMode.Copy"/>) gives exactly what mapping it gives.</summary>
public class LoadModeTests
{
    [Theory]
    [InlineData("syn-llama-Q4_0.gguf")]
    [InlineData("stories260K.gguf")]
    public void Copied_file_has_the_mapped_metadata_and_tensor_bytes(string name)
    {
        string path = SharedData.Model(name);
        using var mapped = GgufFile.Open(path, GgufLoadMode.Map);
        using var loaded = GgufFile.Open(path, GgufLoadMode.Copy);
        Assert.Equal(mapped.Metadata.Select(e => e.Key), loaded.Metadata.Select(e => e.Key));
        Assert.Equal(mapped.Tensors.Count, loaded.Tensors.Count);
        foreach (var tensor in mapped.Tensors)
            Assert.True(mapped.GetData(tensor).SequenceEqual(loaded.GetData(loaded.GetTensor(tensor.Name))), $"{tensor.Name} differs");
    }

    [Fact]
    public unsafe void Copied_file_starts_on_a_huge_page_boundary()
    {
        using var file = GgufFile.Open(SharedData.Model("stories260K.gguf"), GgufLoadMode.Copy);
        var first = file.Tensors[0];
        long fileStart = (long)file.GetDataPointer(first) - file.DataOffset - first.Offset;
        Assert.Equal(0, fileStart % (2 << 20));
    }

    [Fact]
    public void Truncated_file_reads_to_the_same_error_in_both_modes()
    {
        byte[] bytes = File.ReadAllBytes(SharedData.Model("stories260K.gguf"));
        using var cut = new TempFile(".gguf");
        File.WriteAllBytes(cut.Path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var mapped = Assert.Throws<GgufFormatException>(() => GgufFile.Open(cut.Path, GgufLoadMode.Map));
        var copied = Assert.Throws<GgufFormatException>(() => GgufFile.Open(cut.Path, GgufLoadMode.Copy));
        Assert.Equal(mapped.Field, copied.Field);
        Assert.Equal(mapped.Message, copied.Message);
    }
}
