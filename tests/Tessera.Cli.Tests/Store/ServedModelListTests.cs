using Tessera.Cli.Store;
using Tessera.Testing;

namespace Tessera.Cli.Tests.Store;

/// <summary>What `tessera serve` serves from its arguments and `--models-dir`.</summary>
public sealed class ServedModelListTests
{
    [Fact]
    public void A_models_folder_gives_its_files_once_each_and_its_complete_pulled_models()
    {
        using var store = new StoreFixture();
        store.Hub.AddRepo("test/tiny", new HubRepoFile("tiny-Q4_K_M.gguf", StoreFixture.Stories));
        Assert.Equal(0, CliRunner.Run("pull", "hf.co/test/tiny").ExitCode);
        File.WriteAllBytes(Path.Combine(store.Root, "plain.gguf"), StoreFixture.Stories);
        File.WriteAllBytes(Path.Combine(store.Root, "big-00001-of-00002.gguf"), StoreFixture.Stories);
        File.WriteAllBytes(Path.Combine(store.Root, "big-00002-of-00002.gguf"), StoreFixture.Stories);
        File.WriteAllText(Path.Combine(store.Root, "notes.txt"), "not a model");
        Directory.CreateDirectory(store.FolderPath("someone--half--Q4_0"));

        var warnings = new List<string>();
        var models = ServedModelList.FromDirectory(store.Root, warnings.Add);
        Assert.Equal(["big", "plain", "test/tiny:Q4_K_M"], models.Select(m => m.Id));
        Assert.Equal(Path.Combine(store.Root, "big-00001-of-00002.gguf"), models[0].Path);
        Assert.Equal(2L * StoreFixture.Stories.Length, models[0].FileBytes());
        Assert.True(File.Exists(models[2].Path));
        Assert.Contains(warnings, w => w.Contains("someone/half:Q4_0") && w.Contains("not finished"));

        // By name on the command line, a pulled model keeps its store name.
        Assert.Equal("test/tiny:Q4_K_M", ServedModelList.FromArgument("tiny").Id);
        Assert.Equal("plain", ServedModelList.FromArgument(Path.Combine(store.Root, "plain.gguf")).Id);
    }

    [Fact]
    public void Missing_folders_and_files_are_one_line_errors()
    {
        Assert.Contains("models folder not found", Assert.Throws<CliException>(() => ServedModelList.FromDirectory("/no/such/folder", _ => { })).Message);
        Assert.Contains("model file not found", Assert.Throws<CliException>(() => ServedModelList.FromArgument("missing.gguf")).Message);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("512M", 512L << 20)]
    [InlineData("8G", 8L << 30)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("2tb", 2L << 40)]
    public void Sizes_read_with_binary_units(string text, long bytes) => Assert.Equal(bytes, Units.ParseBytes(text));

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("12X")]
    [InlineData("-3G")]
    public void Bad_sizes_say_how_to_write_one(string text) =>
        Assert.Contains("512M", Assert.Throws<CliException>(() => Units.ParseBytes(text)).Message);
}
