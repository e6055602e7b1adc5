using System.Text.Json;
using OpenAI.Embeddings;
using Tessera.Server.Hosting;
using Tessera.Testing;

namespace Tessera.Server.Tests;

/// <summary>One server with a decoder (stories260K, the default) and an encoder (random-weight bert-mini).</summary>
public sealed class EmbeddingServerFixture : IAsyncLifetime
{
    public const string BertId = "bert-mini";

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(parallel: 2, contextSize: 256,
        configure: options => options with { AdditionalModels = [new ModelSource(BertId, SynthModels.BertMini)] });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// POST /v1/embeddings through the official OpenAI client and raw HTTP: shapes, unit length, usage, base64 equal to
/// the floats, a batch equal to its inputs one at a time, token-id inputs, and 400s that name the field.
/// </summary>
public sealed class EmbeddingEndpointTests(EmbeddingServerFixture fixture) : IClassFixture<EmbeddingServerFixture>
{
    private const string Bert = EmbeddingServerFixture.BertId;
    private static readonly string[] Texts = ["The quick brown fox jumps over the lazy dog.", "Hello there", "A cat sat on the mat."];
    private TestServer Server => fixture.Server;

    [Theory]
    [InlineData(Bert, 128)]
    [InlineData(TestServer.StoriesId, 64)]
    public async Task Openai_client_gets_one_unit_vector_per_input_with_usage(string model, int dimensions)
    {
        var client = Server.Client.GetEmbeddingClient(model);
        var result = (await client.GenerateEmbeddingsAsync(Texts)).Value;
        Assert.Equal(Texts.Length, result.Count);
        int tokens = 0;
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(i, result[i].Index);
            var vector = result[i].ToFloats().ToArray();
            Assert.Equal(dimensions, vector.Length);
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(x => (double)x * x)), 4);
            tokens += (await Tokenize(model, Texts[i])).Length;
        }
        Assert.Equal(tokens, result.Usage.InputTokenCount);
        Assert.Equal(tokens, result.Usage.TotalTokenCount);
        Assert.Equal(model, result.Model);
    }

    [Theory]
    [InlineData(Bert)]
    [InlineData(TestServer.StoriesId)]
    public async Task Batch_equals_singles_and_base64_equals_floats(string model)
    {
        var batch = await Embed(new { model, input = Texts });
        var encoded = await Embed(new { model, input = Texts, encoding_format = "base64" });
        for (int i = 0; i < Texts.Length; i++)
        {
            var single = await Embed(new { model, input = Texts[i], encoding_format = "float" });
            var fromBatch = Floats(batch, i);
            // A batch multiplies more tokens per call than one short input, so float weights may take another kernel
            // summing in another order (see EmbedderTests.BatchTolerance in the runtime tests).
            Assert.True(fromBatch.Zip(Floats(single, 0), (a, b) => Math.Abs(a - b)).Max() < 2e-4, $"input {i}: batch differs from single");
            var bytes = Convert.FromBase64String(encoded.GetProperty("data")[i].GetProperty("embedding").GetString()!);
            var decoded = Enumerable.Range(0, bytes.Length / 4).Select(k => BitConverter.ToSingle(bytes, k * 4)).ToArray();
            Assert.Equal(fromBatch, decoded);   // the float JSON round-trips exactly
        }
        Assert.Equal("list", batch.GetProperty("object").GetString());
        Assert.Equal("embedding", batch.GetProperty("data")[0].GetProperty("object").GetString());
    }

    [Fact]
    public async Task Token_id_inputs_equal_their_text()
    {
        int[] ids = await Tokenize(Bert, Texts[0]);
        var fromText = Floats(await Embed(new { model = Bert, input = Texts[0] }), 0);
        var fromIds = await Embed(new { model = Bert, input = new[] { ids, ids } });
        Assert.Equal(2, fromIds.GetProperty("data").GetArrayLength());
        Assert.Equal(fromText, Floats(fromIds, 1));
        Assert.Equal(2 * ids.Length, fromIds.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(fromText, Floats(await Embed(new { model = Bert, input = ids, dimensions = 128 }), 0));
    }

    [Theory]
    [InlineData("{\"model\":\"bert-mini\"}", "input")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":[]}", "input")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":42}", "input")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":[\"a\",5]}", "input[1]")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":[\"a\",\"\"]}", "input[1]")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":[[101,99999]]}", "input[0][1]")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":\"a\",\"encoding_format\":\"int8\"}", "encoding_format")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":\"a\",\"dimensions\":64}", "dimensions")]
    [InlineData("{\"model\":\"bert-mini\",\"input\":\"a\",\"dimensions\":\"x\"}", "dimensions")]
    public async Task Bad_requests_are_400_naming_the_field(string body, string param)
    {
        var error = (await Server.PostJsonAsync("/v1/embeddings", body, 400)).GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Inputs_longer_than_the_model_takes_are_400()
    {
        string tooLong = string.Join(' ', Enumerable.Repeat("word", 600));
        var error = (await Server.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(new { model = Bert, input = new[] { "fine", tooLong } }), 400)).GetProperty("error");
        Assert.Equal("input[1]", error.GetProperty("param").GetString());
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("512", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Encoder_cannot_generate_but_is_listed()
    {
        string chat = JsonSerializer.Serialize(new { model = Bert, messages = new[] { new { role = "user", content = "hi" } } });
        var error = (await Server.PostJsonAsync("/v1/chat/completions", chat, 400)).GetProperty("error");
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("cannot generate", error.GetProperty("message").GetString());
        var completion = (await Server.PostJsonAsync("/v1/completions", JsonSerializer.Serialize(new { model = Bert, prompt = "hi" }), 400)).GetProperty("error");
        Assert.Contains("cannot generate", completion.GetProperty("message").GetString());

        await Embed(new { model = Bert, input = "load it" });
        var models = JsonDocument.Parse(await Server.Http.GetStringAsync("/v1/models")).RootElement;
        var card = models.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("id").GetString() == Bert);
        Assert.Equal("loaded", card.GetProperty("status").GetString());
        var ps = JsonDocument.Parse(await Server.Http.GetStringAsync("/api/ps")).RootElement;
        Assert.Contains(ps.GetProperty("models").EnumerateArray(), m => m.GetProperty("id").GetString() == Bert);
        using var metrics = await Server.Http.GetAsync("/metrics");
        Assert.True(metrics.IsSuccessStatusCode);
    }

    private async Task<JsonElement> Embed(object body) => await Server.PostJsonAsync("/v1/embeddings", JsonSerializer.Serialize(body));

    private static float[] Floats(JsonElement response, int index) =>
        response.GetProperty("data")[index].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();

    private async Task<int[]> Tokenize(string model, string text)
    {
        var result = await Server.PostJsonAsync("/tokenize", JsonSerializer.Serialize(new { model, content = text }));
        return result.GetProperty("tokens").EnumerateArray().Select(token => token.GetInt32()).ToArray();
    }
}
