using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Tessera.Cli;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>`tessera serve`: argument errors in-process; a real child process for listening and SIGTERM (POSIX `kill`).</summary>
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("--parallel", "0")]
    [InlineData("--port", "70000")]
    [InlineData("--max-queue", "-1")]
    [InlineData("--host", "example.com")]
    public void Bad_options_exit_1_with_one_line(string option, string value)
    {
        // Nothing listens: each of these is refused before the server starts.
        var (code, error) = Run("serve", SharedData.Model(TestServer.StoriesModel), option, value);
        Assert.Equal(TesseraCli.ExitError, code);
        Assert.StartsWith("tessera: error:", error);
    }

    [Fact]
    public void A_missing_model_exits_1()
    {
        var (code, error) = Run("serve", "no-such-model.gguf", "--port", "0");
        Assert.Equal(TesseraCli.ExitError, code);
        Assert.Contains("not found", error);
    }

    [Fact]
    public void Without_any_model_it_says_how_to_give_one()
    {
        var (code, error) = Run("serve", "--port", "0");
        Assert.Equal(TesseraCli.ExitError, code);
        Assert.Contains("--models-dir", error);
    }

    [Fact]
    public async Task Serves_several_models_from_a_folder_chosen_by_the_request()
    {
        using var folder = new TempFolder();
        foreach (string file in new[] { "stories260K.gguf", "llama-2-tiny-random.gguf" })
            File.CreateSymbolicLink(Path.Combine(folder.Path, file), SharedData.Model(file));
        await using var serve = await ServeProcess.StartAsync("serve", "--models-dir", folder.Path, "--max-models", "1", "--port", "0", "--ctx", "256", "--threads", "1");
        Assert.Contains(serve.Stderr, line => line.Contains("also serving stories260K"));
        var http = serve.Http;
        using (var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models")))
            Assert.Equal(["llama-2-tiny-random", "stories260K"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        foreach (string model in new[] { "stories260K", "llama-2-tiny-random" })
        {
            using var content = new StringContent($$"""{"model":"{{model}}","prompt":"Once upon a time","max_tokens":3}""", System.Text.Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/v1/completions", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(model, answer.RootElement.GetProperty("model").GetString());
        }
        using var ps = JsonDocument.Parse(await http.GetStringAsync("/api/ps"));
        Assert.Equal("llama-2-tiny-random", Assert.Single(ps.RootElement.GetProperty("models").EnumerateArray()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Serves_until_SIGTERM_and_then_exits_0()
    {
        await using var serve = await ServeProcess.StartAsync("serve", SharedData.Model(TestServer.StoriesModel),
            "--port", "0", "--parallel", "2", "--ctx", "256", "--threads", "1");
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.GetAsync("/health")).StatusCode);
        using var content = new StringContent("""{"prompt":"Once upon a time","max_tokens":3}""", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await serve.Http.PostAsync("/v1/completions", content)).StatusCode);

        using (var kill = Process.Start("kill", ["-TERM", serve.Process.Id.ToString()]))
            await kill.WaitForExitAsync();
        await serve.Process.WaitForExitAsync().WaitAsync(TestServer.Timeout);
        Assert.Equal(0, serve.Process.ExitCode);
        Assert.Contains(serve.Stderr, line => line.Contains("stopped"));
    }

    private static (int Code, string Error) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TesseraCli.Run(args, stdout, stderr);
        return (code, stderr.ToString());
    }
}
