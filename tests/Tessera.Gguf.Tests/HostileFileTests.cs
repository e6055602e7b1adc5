using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Gguf.Tests;

/// <summary>
/// Hand-made broken files, one defect each: the reader must raise <see cref="GgufFormatException"/>
/// naming the culprit field or tensor, never crash, hang or over-allocate.
/// </summary>
public class HostileFileTests
{
    private const string Arch = "general.architecture";

    /// <summary>A valid two-tensor file with metadata of several kinds; the base of the truncation sweep.</summary>
    internal static RawGguf ValidSmallFile()
    {
        var f = new RawGguf().Header(tensorCount: 2, kvCount: 4)
            .KvString(Arch, "test")
            .KvU32("general.alignment", 32)
            .KvStrings("test.tokens", "a", "bc", "déf")
            .KvBool("test.flag", true)
            .Tensor("a.weight", [32, 2], GgmlType.F32, 0)
            .Tensor("b.weight", [64], GgmlType.Q8_0, 256);
        f.Pad(32, "a.weight").Zeros(256, "a.weight");
        f.Pad(32, "b.weight").Zeros(68, "b.weight");
        f.Current = null; // trailing padding: a file cut inside it still holds everything
        return f.Pad(32);
    }

    /// <summary>Header + architecture key, ready for one tensor info.</summary>
    private static RawGguf OneTensorPrefix(ulong kvCount = 1) =>
        new RawGguf().Header(tensorCount: 1, kvCount: kvCount).KvString(Arch, "test");

    /// <summary>A one-tensor file whose data is present: [dims], type, offset as given.</summary>
    private static RawGguf OneTensor(ulong[] dims, uint type, ulong offset = 0, long dataBytes = 256)
    {
        var f = OneTensorPrefix().Tensor("t.weight", dims, type, offset);
        return f.Pad(32).Zeros(dataBytes);
    }

    private static GgufFormatException Rejects(RawGguf file, string field, params string[] messageParts) =>
        Rejects(file.ToArray(), field, messageParts);

    private static GgufFormatException Rejects(byte[] bytes, string field, params string[] messageParts)
    {
        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(bytes, "hostile.gguf").Dispose());
        Assert.Equal(field, error.Field);
        Assert.Contains(field, error.Message);
        Assert.Contains("0x", error.Message);
        foreach (var part in messageParts)
            Assert.Contains(part, error.Message);
        return error;
    }

    [Fact]
    public void Valid_small_file_opens()
    {
        using var file = GgufFile.Open(ValidSmallFile().ToArray());
        Assert.Equal(["a", "bc", "déf"], file.Metadata.GetStringArray("test.tokens"));
        Assert.True(file.Metadata.GetBool("test.flag"));
        Assert.Equal(68, file.GetData(file.GetTensor("b.weight")).Length);
    }

    [Fact]
    public void Truncation_at_every_byte_names_the_field_being_read()
    {
        var file = ValidSmallFile();
        var bytes = file.ToArray();
        for (var length = 0; length < bytes.Length; length++)
        {
            var expected = file.ExpectedFieldIfTruncatedAt(length);
            var cut = bytes.AsMemory(0, length);
            if (expected is null)
            {
                GgufFile.Open(cut).Dispose();
                continue;
            }
            var error = Record.Exception(() => GgufFile.Open(cut).Dispose()) as GgufFormatException;
            Assert.True(error is not null, $"cut at {length}: expected an error naming '{expected}', got none");
            Assert.True(expected == error.Field, $"cut at {length}: expected field '{expected}', got '{error.Field}': {error.Message}");
        }
    }

    [Fact]
    public void Empty_file_names_magic() => Rejects([], "magic");

    [Fact]
    public void Bad_magic() => Rejects(new RawGguf().Header(0, 0, magic: 0x46554746), "magic", "0x46554746");

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(4u)]
    public void Unsupported_version(uint version) => Rejects(new RawGguf().Header(0, 0, version), "version", $"version {version}");

    [Fact]
    public void Byte_swapped_version_is_called_big_endian() =>
        Rejects(new RawGguf().Header(0, 0, version: 0x03000000), "version", "byte-swapped");

    [Fact]
    public void Tensor_count_uint64_max() => Rejects(new RawGguf().Header(ulong.MaxValue, 0), "tensor_count", "exceeds the limit");

    [Fact]
    public void Tensor_count_that_cannot_fit() => Rejects(new RawGguf().Header(1000, 0).Zeros(100), "tensor_count", "cannot fit");

    [Fact]
    public void Kv_count_uint64_max() => Rejects(new RawGguf().Header(0, ulong.MaxValue), "kv_count", "exceeds the limit");

    [Fact]
    public void Kv_count_that_cannot_fit() => Rejects(new RawGguf().Header(0, 100).Zeros(100), "kv_count", "cannot fit");

    [Fact]
    public void Key_length_past_end() =>
        Rejects(new RawGguf().Header(0, 1).U64(100).Bytes("abc"u8).Zeros(11), "metadata[0].key", "runs past the end");

    [Fact]
    public void Key_length_over_cap() =>
        Rejects(new RawGguf().Header(0, 1).U64(GgufLimits.MaxKeyBytes + 1).Zeros(GgufLimits.MaxKeyBytes + 20), "metadata[0].key", "exceeds the limit");

    [Fact]
    public void String_value_length_uint64_max() =>
        Rejects(new RawGguf().Header(0, 1).Key("k").U32((uint)GgufValueType.String).U64(ulong.MaxValue), "k", "exceeds the limit");

    [Fact]
    public void Empty_key() => Rejects(new RawGguf().Header(0, 1).KvU32("", 1), "metadata[0].key", "empty");

    [Fact]
    public void Duplicate_key() =>
        Rejects(new RawGguf().Header(0, 2).KvString(Arch, "a").KvString(Arch, "b"), Arch, "earlier");

    [Fact]
    public void Invalid_utf8_key() =>
        Rejects(new RawGguf().Header(0, 1).Key([0x61, 0xC3, 0x28], "bad").U32(4).U32(1), "metadata[0].key", "UTF-8");

    [Fact]
    public void Invalid_utf8_string_value() =>
        Rejects(new RawGguf().Header(0, 1).Key("k").U32((uint)GgufValueType.String).Str([0xFF, 0xFE]), "k", "UTF-8");

    [Fact]
    public void Unknown_value_type() => Rejects(new RawGguf().Header(0, 1).Key("k").U32(13).U32(0), "k", "13");

    [Fact]
    public void Unknown_array_element_type() =>
        Rejects(new RawGguf().Header(0, 1).Key("k").U32((uint)GgufValueType.Array).U32(99).U64(0), "k", "99");

    [Fact]
    public void Nested_array() =>
        Rejects(new RawGguf().Header(0, 1).Key("k").U32(9).U32(9).U64(1).U32(4).U64(1).U32(7), "k", "nested");

    [Fact]
    public void Array_length_over_cap() =>
        Rejects(new RawGguf().Header(0, 1).Key("k").U32(9).U32(0).U64(GgufLimits.MaxArrayLength + 1), "k", "exceeds the limit");

    [Fact]
    public void Array_length_that_cannot_fit() =>
        Rejects(new RawGguf().Header(0, 1).Key("k").U32(9).U32((uint)GgufValueType.UInt64).U64(10).Zeros(40), "k", "cannot fit");

    [Fact]
    public void Bool_value_2() => Rejects(new RawGguf().Header(0, 1).Key("k").U32(7).U8(2), "k", "2");

    [Fact]
    public void Bool_array_element_2() =>
        Rejects(new RawGguf().Header(0, 1).Key("k").U32(9).U32(7).U64(3).U8(1).U8(0).U8(2), "k", "expected 0 or 1");

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(48u)]
    public void Alignment_not_a_power_of_two(uint alignment) =>
        Rejects(new RawGguf().Header(0, 1).KvU32("general.alignment", alignment), "general.alignment", "power of two");

    [Fact]
    public void Alignment_stored_as_int32() =>
        Rejects(new RawGguf().Header(0, 1).KvI32("general.alignment", 32), "general.alignment", "int32", "expected uint32");

    [Fact]
    public void Tensor_name_empty() =>
        Rejects(OneTensorPrefix().Tensor("", [32UL], 0, 0), "tensor[0].name", "empty");

    [Fact]
    public void Tensor_name_too_long() =>
        Rejects(OneTensorPrefix().Tensor(new string('x', GgufLimits.MaxTensorNameBytes + 1), [32UL], 0, 0), "tensor[0].name", "exceeds the limit");

    [Fact]
    public void Tensor_name_invalid_utf8() =>
        Rejects(OneTensorPrefix().TensorName([0x74, 0xE2, 0x82], "bad").U32(1).U64(32).U32(0).U64(0), "tensor[0].name", "UTF-8");

    [Fact]
    public void Duplicate_tensor() =>
        Rejects(new RawGguf().Header(2, 0).Tensor("t", [32UL], 0, 0).Tensor("t", [32UL], 0, 128).Pad(32).Zeros(256), "t", "earlier");

    [Theory]
    [InlineData(0u)]
    [InlineData(5u)]
    public void Dimension_count_outside_1_to_4(uint dimensionCount) =>
        Rejects(OneTensorPrefix().TensorName("t").U32(dimensionCount).Zeros(64), "t", $"n_dims {dimensionCount}");

    [Fact]
    public void Negative_dimension() => Rejects(OneTensor([32, unchecked((ulong)-4L)], 0), "t.weight", "negative");

    [Fact]
    public void Dimension_product_overflow() => Rejects(OneTensor([1UL << 32, 1UL << 32, 1UL << 32], 0), "t.weight", "overflows");

    [Fact]
    public void Byte_size_overflow() => Rejects(OneTensor([1UL << 61, 1], (uint)GgmlType.F64), "t.weight", "byte size", "overflows");

    [Fact]
    public void Unknown_type_id() => Rejects(OneTensor([32UL], 99), "t.weight", "type id 99");

    [Fact]
    public void Retired_type_id_4() => Rejects(OneTensor([32UL], 4), "t.weight", "type id 4");

    [Fact]
    public void Row_not_a_multiple_of_the_block_size() =>
        Rejects(OneTensor([48, 2], (uint)GgmlType.Q4_0), "t.weight", "48", "block size 32");

    [Fact]
    public void Offset_not_aligned() => Rejects(OneTensor([32UL], 0, offset: 16), "t.weight", "not a multiple of the alignment");

    [Fact]
    public void Offset_beyond_int64() => Rejects(OneTensor([32UL], 0, offset: ulong.MaxValue), "t.weight", "negative");

    [Fact]
    public void First_tensor_not_at_zero_leaves_a_gap() => Rejects(OneTensor([32UL], 0, offset: 32), "t.weight", "gap");

    [Fact]
    public void Overlapping_tensors() =>
        Rejects(new RawGguf().Header(2, 0).Tensor("a", [32UL], 0, 0).Tensor("b", [32UL], 0, 64).Pad(32).Zeros(512), "b", "overlaps", "'a'");

    [Fact]
    public void Tensors_out_of_order() =>
        Rejects(new RawGguf().Header(2, 0).Tensor("a", [32UL], 0, 128).Tensor("b", [32UL], 0, 0).Pad(32).Zeros(512), "a", "gap");

    [Fact]
    public void Data_past_end_of_file() =>
        Rejects(OneTensor([1024UL], 0, dataBytes: 100), "t.weight", "ends beyond the file");

    [Fact]
    public void Split_count_without_split_file_name() =>
        Rejects(new RawGguf().Header(0, 3).KvU16("split.no", 0).KvU16("split.count", 2).KvI32("split.tensors.count", 0),
            "split.count", "file name");

    [Fact]
    public void Split_tensor_count_mismatch() =>
        Rejects(new RawGguf().Header(0, 3).KvU16("split.no", 0).KvU16("split.count", 1).KvI32("split.tensors.count", 5),
            "split.tensors.count", "5");

    [Fact]
    public void Split_number_mismatch() =>
        Rejects(new RawGguf().Header(0, 3).KvU16("split.no", 1).KvU16("split.count", 1).KvI32("split.tensors.count", 0),
            "split.no", "part 0");

    [Fact]
    public void Missing_split_part()
    {
        var folder = Directory.CreateTempSubdirectory("tessera-gguf-");
        try
        {
            var first = Path.Combine(folder.FullName, "m-00001-of-00002.gguf");
            File.WriteAllBytes(first, new RawGguf().Header(0, 3).KvU16("split.no", 0).KvU16("split.count", 2)
                .KvI32("split.tensors.count", 0).ToArray());
            var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(first).Dispose());
            Assert.Equal("split.count", error.Field);
            Assert.Contains("m-00002-of-00002.gguf", error.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void File_on_disk_reports_its_path()
    {
        using var temp = new TempFile();
        File.WriteAllBytes(temp.Path, new RawGguf().Header(0, 0, version: 1).ToArray());
        var error = Assert.Throws<GgufFormatException>(() => GgufFile.Open(temp.Path).Dispose());
        Assert.Equal("version", error.Field);
        Assert.Contains(temp.Path, error.Message);
        Assert.Equal(4, error.Offset);
    }

    [Fact]
    public void Metadata_accessors_name_the_key()
    {
        using var file = GgufFile.Open(new RawGguf().Header(0, 2).Key("u8").U32(0).U8(7).KvU32("big", uint.MaxValue).ToArray());
        var meta = file.Metadata;

        var missing = Assert.Throws<GgufFormatException>(() => meta.GetString("llama.block_count"));
        Assert.Equal("llama.block_count", missing.Field);
        Assert.Contains("'llama.block_count' is missing", missing.Message);
        var wrongType = Assert.Throws<GgufFormatException>(() => meta.GetString("u8"));
        Assert.Contains("metadata 'u8' is uint8, expected string", wrongType.Message);
        Assert.Equal(7, meta.GetInt32("u8"));
        Assert.Equal(uint.MaxValue, meta.GetUInt32("big"));
        Assert.Equal("big", Assert.Throws<GgufFormatException>(() => meta.GetInt32("big")).Field);
        Assert.Null(meta.GetIntegerOrNull("absent"));
    }
}
