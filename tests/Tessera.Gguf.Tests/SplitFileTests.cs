using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Gguf.Tests;

/// <summary>Models stored as PREFIX-0000i-of-0000N.gguf parts: written, opened as one, and checked for consistency.</summary>
public sealed class SplitFileTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("tessera-gguf-split-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string Prefix(string name) => Path.Combine(_folder.FullName, name);

    private static IReadOnlyList<string> WriteStoriesSplit(string prefix, int maxTensorsPerPart, uint alignment = 32)
    {
        using var source = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        var writer = new GgufWriter(alignment);
        foreach (var entry in source.Metadata)
            writer.Set(entry);
        foreach (var tensor in source.Tensors)
            writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, source.GetData(tensor).ToArray());
        return writer.WriteSplit(prefix, maxTensorsPerPart);
    }

    [Theory]
    [InlineData(20, 32u)]
    [InlineData(24, 64u)]
    public void Split_model_opens_from_any_part_and_matches_the_original(int maxTensorsPerPart, uint alignment)
    {
        var paths = WriteStoriesSplit(Prefix("stories"), maxTensorsPerPart, alignment);
        using var original = GgufFile.Open(SharedData.Model("stories260K.gguf"));
        var expectedParts = (original.Tensors.Count + maxTensorsPerPart - 1) / maxTensorsPerPart;

        Assert.Equal(expectedParts, paths.Count);
        Assert.Equal(Prefix("stories") + $"-00001-of-0000{expectedParts}.gguf", paths[0]);
        foreach (var path in paths)
        {
            using var split = GgufFile.Open(path);
            Assert.Equal(expectedParts, split.SplitCount);
            Assert.Equal(paths, split.PartPaths);
            Assert.Equal(alignment, split.Alignment);
            Assert.Equal(expectedParts, split.Metadata.GetInteger(GgufKeys.SplitCount));
            Assert.Equal(original.Tensors.Count, split.Metadata.GetInteger(GgufKeys.SplitTensorsCount));
            Assert.Equal(Enumerable.Range(0, original.Tensors.Count).Select(i => i / maxTensorsPerPart), split.Tensors.Select(t => t.SplitIndex));
            WriterRoundTripTests.AssertSameModel(original, split);
        }
    }

    [Fact]
    public void Later_parts_hold_only_the_split_keys()
    {
        var paths = WriteStoriesSplit(Prefix("stories"), 20);
        using var split = GgufFile.Open(paths[0]);
        var second = split.PartMetadata(1);

        Assert.Equal([GgufKeys.SplitNo, GgufKeys.SplitCount, GgufKeys.SplitTensorsCount], second.Select(e => e.Key));
        Assert.Equal(GgufValueType.UInt16, second.Find(GgufKeys.SplitNo)!.Type);
        Assert.Equal(GgufValueType.Int32, second.Find(GgufKeys.SplitTensorsCount)!.Type);
        Assert.Equal(1, second.GetInteger(GgufKeys.SplitNo));
        Assert.Same(split.Metadata, split.PartMetadata(0));
    }

    [Fact]
    public void Copying_a_split_model_to_one_file_drops_the_split_keys()
    {
        var paths = WriteStoriesSplit(Prefix("stories"), 20);
        using var split = GgufFile.Open(paths[0]);
        using var temp = new TempFile();
        WriterRoundTripTests.CopyOf(split).WriteTo(temp.Path);

        using var single = GgufFile.Open(temp.Path);
        Assert.Equal(1, single.SplitCount);
        Assert.False(single.Metadata.ContainsKey(GgufKeys.SplitCount));
        WriterRoundTripTests.AssertSameModel(split, single);
    }

    [Fact]
    public void Missing_part_is_named()
    {
        var paths = WriteStoriesSplit(Prefix("stories"), 20);
        File.Delete(paths[2]);

        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(paths[0]).Dispose());
        Assert.Equal(GgufKeys.SplitCount, error.Field);
        Assert.Contains(Path.GetFileName(paths[2]), error.Message);
    }

    [Fact]
    public void Part_from_a_split_with_another_count_is_rejected()
    {
        var three = WriteStoriesSplit(Prefix("three"), 20);
        var four = WriteStoriesSplit(Prefix("four"), 15);
        File.Copy(four[1], three[1], overwrite: true);

        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(three[0]).Dispose());
        Assert.Equal(GgufKeys.SplitCount, error.Field);
        Assert.Contains("is 4", error.Message);
        Assert.Contains(three[1], error.Message);
    }

    [Fact]
    public void Swapped_parts_are_rejected()
    {
        var paths = WriteStoriesSplit(Prefix("stories"), 20);
        var temp = paths[0] + ".tmp";
        File.Move(paths[0], temp);
        File.Move(paths[1], paths[0]);
        File.Move(temp, paths[1]);

        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(paths[0]).Dispose());
        Assert.Equal(GgufKeys.SplitNo, error.Field);
    }

    [Fact]
    public void Tensor_total_mismatch_is_rejected()
    {
        var writer = new GgufWriter();
        for (var i = 0; i < 4; i++)
            writer.AddTensor($"t{i}", GgmlType.F32, [8], new byte[32]);
        var paths = writer.WriteSplit(Prefix("m"), 2);
        var smaller = new GgufWriter();
        for (var i = 0; i < 3; i++)
            smaller.AddTensor($"u{i}", GgmlType.F32, [8], new byte[32]);
        File.Copy(smaller.WriteSplit(Prefix("s"), 2)[1], paths[1], overwrite: true);

        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(paths[0]).Dispose());
        Assert.Equal(GgufKeys.SplitTensorsCount, error.Field);
        Assert.Contains("is 4 but the parts hold 3", error.Message);
    }

    [Fact]
    public void Same_tensor_in_two_parts_is_rejected()
    {
        for (var i = 0; i < 2; i++)
        {
            var part = new RawGguf().Header(1, 3)
                .KvU16(GgufKeys.SplitNo, (ushort)i).KvU16(GgufKeys.SplitCount, 2).KvI32(GgufKeys.SplitTensorsCount, 2)
                .Tensor("t", [32], GgmlType.F32, 0).Pad(32).Zeros(128);
            File.WriteAllBytes(GgufSplitName.Format(Prefix("dup"), i + 1, 2), part.ToArray());
        }

        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(GgufSplitName.Format(Prefix("dup"), 1, 2)).Dispose());
        Assert.Equal("t", error.Field);
        Assert.Contains("part 1", error.Message);
    }

    [Fact]
    public void Split_names_parse_and_format()
    {
        Assert.True(GgufSplitName.TryParse("/m/model-00002-of-00003.gguf", out var prefix, out var number, out var count));
        Assert.Equal(("/m/model", 2, 3), (prefix, number, count));
        Assert.Equal("/m/model-00002-of-00003.gguf", GgufSplitName.Format(prefix, number, count));
        Assert.False(GgufSplitName.TryParse("model-00004-of-00003.gguf", out _, out _, out _));
        Assert.False(GgufSplitName.TryParse("model-00000-of-00003.gguf", out _, out _, out _));
        Assert.False(GgufSplitName.TryParse("model.gguf", out _, out _, out _));
    }
}
