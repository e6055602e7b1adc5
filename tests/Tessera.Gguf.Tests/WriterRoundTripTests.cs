using Tessera.Tensors;
using Tessera.Testing;

namespace Tessera.Gguf.Tests;

/// <summary>What the writer writes, the reader reads back exactly: every value type, tensors, real models.</summary>
public class WriterRoundTripTests
{
    private static readonly string[] UnicodeSamples = ["", "plain", "déjà vu", "日本語", "🦙 emoji", "tab\tnew\nline", "\u0000nul"];

    /// <summary>One random value of every scalar type and one array of every element type (some empty).</summary>
    internal static List<(string Key, object Value)> RandomMetadata(Random random)
    {
        T[] Array<T>(Func<T> next) => Enumerable.Range(0, random.Next(4) == 0 ? 0 : random.Next(1, 40)).Select(_ => next()).ToArray();
        string Text() => UnicodeSamples[random.Next(UnicodeSamples.Length)] + random.Next(1000);
        return
        [
            ("t.u8", (byte)random.Next(256)),
            ("t.i8", (sbyte)random.Next(-128, 128)),
            ("t.u16", (ushort)random.Next(65536)),
            ("t.i16", (short)random.Next(-32768, 32768)),
            ("t.u32", (uint)random.NextInt64(uint.MaxValue + 1L)),
            ("t.i32", random.Next(int.MinValue, int.MaxValue)),
            ("t.f32", (float)random.NextDouble() * 1e6f),
            ("t.bool", random.Next(2) == 1),
            ("t.string", Text()),
            ("t.u64", (ulong)random.NextInt64() * 2),
            ("t.i64", random.NextInt64(long.MinValue, long.MaxValue)),
            ("t.f64", random.NextDouble() * 1e300),
            ("t.nan", float.NaN),
            ("t.a.u8", Array(() => (byte)random.Next(256))),
            ("t.a.i8", Array(() => (sbyte)random.Next(-128, 128))),
            ("t.a.u16", Array(() => (ushort)random.Next(65536))),
            ("t.a.i16", Array(() => (short)random.Next(-32768, 32768))),
            ("t.a.u32", Array(() => (uint)random.NextInt64(uint.MaxValue + 1L))),
            ("t.a.i32", Array(() => random.Next())),
            ("t.a.f32", Array(() => (float)random.NextDouble())),
            ("t.a.bool", Array(() => random.Next(2) == 1)),
            ("t.a.string", Array(Text)),
            ("t.a.u64", Array(() => (ulong)random.NextInt64())),
            ("t.a.i64", Array(() => random.NextInt64(long.MinValue, long.MaxValue))),
            ("t.a.f64", Array(random.NextDouble)),
            ("t.a.empty", System.Array.Empty<string>()),
            ("ключ.unicode", "значение"),
        ];
    }

    internal static readonly (GgmlType Type, long[] Dimensions)[] TensorShapes =
    [
        (GgmlType.F32, [7]),
        (GgmlType.F16, [3, 5]),
        (GgmlType.BF16, [2, 3, 4]),
        (GgmlType.Q4_0, [64, 3]),
        (GgmlType.Q8_0, [32, 2, 2, 2]),
        (GgmlType.Q4_K, [256, 2]),
        (GgmlType.Q6_K, [512]),
        (GgmlType.I8, [5]),
        (GgmlType.F32, [0, 4]),
    ];

    [Theory]
    [InlineData(32u, 1)]
    [InlineData(64u, 2)]
    [InlineData(256u, 3)]
    public void Random_metadata_and_tensors_read_back_exactly(uint alignment, int seed)
    {
        var random = new Random(seed);
        var writer = new GgufWriter(alignment);
        foreach (var (key, value) in RandomMetadata(random))
            writer.Set(key, value);
        var data = new Dictionary<string, byte[]>();
        for (var i = 0; i < TensorShapes.Length; i++)
        {
            var (type, dims) = TensorShapes[i];
            var bytes = new byte[GgmlTypeTraits.Of(type).BytesFor(dims.Aggregate(1L, (a, b) => a * b))];
            random.NextBytes(bytes);
            data[$"t{i}.weight"] = bytes;
            writer.AddTensor($"t{i}.weight", type, dims, bytes);
        }

        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        using var file = GgufFile.Open(stream.ToArray());

        Assert.Equal(3u, file.Version);
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal(alignment != 32, file.Metadata.ContainsKey(GgufKeys.Alignment));
        AssertSameMetadata(writer.Metadata, file.Metadata);
        Assert.Equal(TensorShapes.Length, file.Tensors.Count);
        for (var i = 0; i < TensorShapes.Length; i++)
        {
            var tensor = file.Tensors[i];
            Assert.Equal($"t{i}.weight", tensor.Name);
            Assert.Equal(TensorShapes[i].Type, tensor.Type);
            Assert.Equal(TensorShapes[i].Dimensions, tensor.Dimensions);
            Assert.Equal(0, tensor.Offset % alignment);
            Assert.True(data[tensor.Name].AsSpan().SequenceEqual(file.GetData(tensor)), $"{tensor.Name} bytes differ");
        }
    }

    internal static void AssertSameMetadata(IReadOnlyList<GgufMetadataEntry> expected, IReadOnlyList<GgufMetadataEntry> actual)
    {
        Assert.Equal(expected.Select(e => e.Key), actual.Select(e => e.Key));
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.True(e.Type == a.Type && e.ElementType == a.ElementType, $"{e.Key}: {e.TypeName} became {a.TypeName}");
            if (e.Value is Array expectedArray)
                Assert.Equal(expectedArray.Cast<object>(), ((Array)a.Value).Cast<object>());
            else
                Assert.Equal(e.Value, a.Value);
        }
    }

    [Fact]
    public void Set_infers_every_type()
    {
        var writer = new GgufWriter();
        foreach (var (key, value) in RandomMetadata(new Random(7)))
            writer.Set(key, value);

        var types = writer.Metadata.ToDictionary(e => e.Key, e => e.TypeName);
        Assert.Equal("uint8", types["t.u8"]);
        Assert.Equal("int64", types["t.i64"]);
        Assert.Equal("float64", types["t.f64"]);
        Assert.Equal("array of bool", types["t.a.bool"]);
        Assert.Equal("array of string", types["t.a.string"]);
        Assert.Throws<ArgumentException>(() => writer.Set("bad", DateTime.Now));
        Assert.Throws<ArgumentException>(() => writer.Set("bad", new int[][] { [1] }));
        Assert.Throws<ArgumentException>(() => writer.Set("bad", GgmlType.F16));
        Assert.Throws<ArgumentException>(() => writer.Set("", 1));
        Assert.Throws<ArgumentException>(() => writer.Set("bad", "lone \ud800 surrogate"));
        Assert.Throws<ArgumentException>(() => writer.Set(new GgufMetadataEntry("bad", GgufValueType.UInt32, null, 5, 0)));
        Assert.Throws<ArgumentException>(() => writer.Set(GgufKeys.Alignment, 32));
        Assert.Throws<ArgumentException>(() => writer.Set(GgufKeys.Alignment, 48u));
    }

    [Fact]
    public void Set_replaces_in_place_and_Remove_removes()
    {
        var writer = new GgufWriter();
        writer.Set("a", 1);
        writer.Set("b", 2);
        writer.Set("c", 3);
        writer.Set("b", "two");

        Assert.Equal(["a", "b", "c"], writer.Metadata.Select(e => e.Key));
        Assert.Equal("two", writer.Metadata[1].Value);
        Assert.True(writer.Remove("a"));
        Assert.False(writer.Remove("a"));

        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        using var file = GgufFile.Open(stream.ToArray());
        Assert.Equal(["b", "c"], file.Metadata.Select(e => e.Key));
        Assert.Equal("two", file.Metadata.GetString("b"));
    }

    [Fact]
    public void Streamed_tensor_is_written_in_chunks()
    {
        var expected = new byte[1000 * 4];
        new Random(3).NextBytes(expected);
        var writer = new GgufWriter(64);
        writer.AddTensor("small", GgmlType.F32, [3], new byte[12]);
        writer.AddTensor("streamed", GgmlType.F32, [1000], stream =>
        {
            for (var i = 0; i < expected.Length; i += 333)
                stream.Write(expected, i, Math.Min(333, expected.Length - i));
        });

        using var output = new MemoryStream();
        writer.WriteTo(output);
        using var file = GgufFile.Open(output.ToArray());
        Assert.True(expected.AsSpan().SequenceEqual(file.GetData(file.GetTensor("streamed"))));
        Assert.Equal(64, file.GetTensor("streamed").Offset);
    }

    [Theory]
    [InlineData(399)]
    [InlineData(401)]
    public void Streamed_tensor_with_wrong_byte_count_names_it_and_leaves_no_file(int written)
    {
        var writer = new GgufWriter();
        writer.AddTensor("blk.0.ffn_up.weight", GgmlType.F32, [100], stream => stream.Write(new byte[written]));

        using var temp = new TempFile();
        var error = Assert.Throws<InvalidOperationException>(() => writer.WriteTo(temp.Path));
        Assert.Contains("'blk.0.ffn_up.weight'", error.Message);
        Assert.Contains("400", error.Message);
        Assert.False(File.Exists(temp.Path));
    }

    [Fact]
    public void Bad_tensors_are_rejected_when_added()
    {
        var writer = new GgufWriter();
        writer.AddTensor("t", GgmlType.F32, [4], new byte[16]);

        Assert.Contains("'t'", Assert.Throws<ArgumentException>(() => writer.AddTensor("t", GgmlType.F32, [4], new byte[16])).Message);
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", GgmlType.F32, [4], new byte[15]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("", GgmlType.F32, [4], new byte[16]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor(new string('n', 64), GgmlType.F32, [4], new byte[16]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", GgmlType.Q4_0, [48], new byte[27]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", GgmlType.F32, [], new byte[0]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", GgmlType.F32, [1, 1, 1, 1, 1], new byte[4]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", GgmlType.F32, [-1], new byte[0]));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", GgmlType.F32, [1L << 40, 1L << 40], _ => { }));
        Assert.Throws<ArgumentException>(() => writer.AddTensor("u", (GgmlType)4, [32], new byte[32]));
        Assert.Throws<ArgumentException>(() => new GgufWriter(3));
    }

    [Theory]
    [MemberData(nameof(SharedModelTests.AllSharedFiles), MemberType = typeof(SharedModelTests))]
    public void Copying_a_shared_file_reproduces_it_byte_for_byte(string relativePath)
    {
        var path = Path.Combine(SharedData.Root, relativePath);
        using var source = GgufFile.Open(path);
        var writer = CopyOf(source);

        using var output = new MemoryStream();
        writer.WriteTo(output);
        using var copy = GgufFile.Open(output.ToArray());

        AssertSameModel(source, copy);
        // Byte for byte, except that some writers pad a file without tensors up to the alignment.
        var original = File.ReadAllBytes(path).AsSpan();
        var written = output.ToArray();
        var padding = original.Length - written.Length;
        Assert.True(padding == 0 || (source.Tensors.Count == 0 && padding > 0 && padding < source.Alignment),
            $"copy has {written.Length} bytes, original {original.Length}");
        Assert.True(original[..written.Length].SequenceEqual(written), "the copy differs from the original file");
        Assert.True(original[written.Length..].IndexOfAnyExcept((byte)0) < 0, "the original ends in non-zero bytes");
    }

    internal static GgufWriter CopyOf(GgufFile source)
    {
        var writer = new GgufWriter();
        foreach (var entry in source.Metadata)
            writer.Set(entry);
        foreach (var tensor in source.Tensors)
            writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, stream => stream.Write(source.GetData(tensor)));
        return writer;
    }

    internal static void AssertSameModel(GgufFile expected, GgufFile actual)
    {
        // Layout keys (split.*, general.alignment) may differ; callers compare the layout themselves.
        static bool IsContent(GgufMetadataEntry e) => !e.Key.StartsWith("split.", StringComparison.Ordinal) && e.Key != GgufKeys.Alignment;
        AssertSameMetadata(expected.Metadata.Where(IsContent).ToList(), actual.Metadata.Where(IsContent).ToList());
        Assert.Equal(expected.Tensors.Count, actual.Tensors.Count);
        for (var i = 0; i < expected.Tensors.Count; i++)
        {
            var (e, a) = (expected.Tensors[i], actual.Tensors[i]);
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.Type, a.Type);
            Assert.Equal(e.Dimensions, a.Dimensions);
            Assert.True(expected.GetData(e).SequenceEqual(actual.GetData(a)), $"{e.Name} bytes differ");
        }
    }
}
