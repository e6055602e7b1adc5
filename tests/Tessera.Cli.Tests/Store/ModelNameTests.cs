using Tessera.Cli.Store;

namespace Tessera.Cli.Tests.Store;

public sealed class ModelNameTests
{
    [Theory]
    [InlineData("tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf", "Q4_K_M")]
    [InlineData("qwen2.5-0.5b-instruct-q4_k_m.gguf", "Q4_K_M")]
    [InlineData("model-IQ4_NL-00001-of-00003.gguf", "IQ4_NL")]
    [InlineData("Model-F16.gguf", "F16")]
    [InlineData("stories260K.gguf", null)]
    public void The_quant_is_read_from_the_file_name(string file, string? quant) => Assert.Equal(quant, ModelName.QuantOf(file));

    [Fact]
    public void Pull_references_parse_into_owner_repo_quant_and_file()
    {
        Assert.Equal(new PullReference("Qwen", "Qwen2.5-0.5B-GGUF", "Q8_0", null, null), PullReference.Parse("hf.co/Qwen/Qwen2.5-0.5B-GGUF:q8_0"));
        Assert.Equal(new PullReference("o", "r", null, null, null), PullReference.Parse("hf.co/o/r"));
        Assert.Equal(new PullReference("o", "r", "Q4_0", "m-Q4_0.gguf", null), PullReference.Parse("o/r/m-Q4_0.gguf"));
        var url = PullReference.Parse("https://example.com/files/llama-Q4_K_M.gguf");
        Assert.Equal(("example.com", "llama", "Q4_K_M", "llama-Q4_K_M.gguf"), (url.Owner, url.Repo, url.Quant, url.File));
    }

    [Theory]
    [InlineData("../../x.gguf")]
    [InlineData("/etc/x.gguf")]
    [InlineData("a\\b.gguf")]
    [InlineData("a/./b.gguf")]
    [InlineData("model.bin")]
    public void Unsafe_file_names_are_refused(string name) => Assert.Throws<CliException>(() => ModelName.CheckFileName(name));

    [Fact]
    public void Folders_lie_directly_under_the_store()
    {
        var store = new ModelStore(Path.Combine(Path.GetTempPath(), "tessera-no-store"));
        Assert.Equal(Path.Combine(store.Root, "o--r--Q4_0"), store.FolderFor("o", "r", "Q4_0"));
        Assert.Throws<CliException>(() => store.FolderFor("..", "..", "x/.."));
    }
}
