using Tessera.Kernels.Threading;
using Tessera.Models;
using Tessera.Runtime.Embeddings;
using Tessera.Testing;

namespace Tessera.Runtime.Tests.Embeddings;

/// <summary>
/// Embeddings from the encoder (random-weight `bert-mini`) and from a decoder (stories260K): shape, unit length,
/// pooling as defined (checked against hidden states taken from the model directly), a batch equal to its inputs one
/// at a time, and clear errors for inputs the model cannot take.
/// </summary>
public sealed class EmbedderTests
{
    private static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Hello",
        "Embeddings map sentences to vectors; similar sentences land close together.",
        "A cat sat on the mat.",
        "Once upon a time there was a little girl who liked to play outside in the sun.",
    ];

    /// <summary>A batch's forward pass multiplies more tokens at once than a short input alone, which for float
    /// weights means another kernel (the packed panel matmul from 8 tokens on, the 4x4 tile below) summing in another
    /// order: through stories260K's five layers that moves unit-length embeddings by up to ~5e-5 per element. Inputs
    /// mixed up or pooled over the wrong positions move them by 1e-2 or more.</summary>
    private const double BatchTolerance = 2e-4;

    [Fact]
    public void Bert_embeddings_have_the_model_width_unit_length_and_token_counts()
    {
        using var embedder = Embedder.Open(SynthModels.BertMini, new EmbedderOptions { Threads = 2 });
        Assert.Equal(128, embedder.Dimensions);
        Assert.Equal(512, embedder.MaxInputTokens);
        Assert.Equal(PoolingType.Mean, embedder.Pooling);
        var result = embedder.Embed(Texts);
        Assert.Equal(Texts.Length, result.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(128, result.Embeddings[i].Length);
            Assert.Equal(1.0, Norm(result.Embeddings[i]), 5);
            Assert.Equal(embedder.Tokenize(Texts[i]).Length, result.TokenCounts[i]);
        }
        Assert.Equal(101, embedder.Tokenize("Hello")[0]);          // [CLS] ... [SEP]
        Assert.Equal(result.TokenCounts.Sum(), result.TotalTokens);
        // Different texts give different vectors.
        Assert.True(Distance(result.Embeddings[0], result.Embeddings[1]) > 1e-3);
    }

    [Theory]
    [InlineData(PoolingType.Mean)]
    [InlineData(PoolingType.Cls)]
    [InlineData(PoolingType.Last)]
    public void Bert_pooling_matches_the_encoder_hidden_states(PoolingType pooling)
    {
        using var model = ModelLoader.LoadEncoder(SynthModels.BertMini);
        var tokenizer = ModelTokenizer.For(model);
        using var embedder = new Embedder(model, tokenizer, new EmbedderOptions { Pooling = pooling, Threads = 2 });
        int[] tokens = tokenizer.Encode(Texts[0]);
        int embd = model.Hyperparameters.EmbeddingLength;
        var batch = new TokenBatch(tokens.Length);
        for (int p = 0; p < tokens.Length; p++)
            batch.Add(tokens[p], p, 0, true);
        var hidden = new float[tokens.Length * embd];
        using (var pool = new KernelThreadPool(1))
            model.Forward(batch, model.CreateScratch(tokens.Length), pool, hidden);
        var expected = new double[embd];
        var rows = pooling switch
        {
            PoolingType.Cls => [0],
            PoolingType.Last => [tokens.Length - 1],
            _ => Enumerable.Range(0, tokens.Length).ToArray(),
        };
        foreach (int row in rows)
        {
            for (int i = 0; i < embd; i++)
                expected[i] += hidden[row * embd + i] / rows.Length;
        }
        double length = Math.Sqrt(expected.Sum(x => x * x));
        var actual = embedder.Embed([Texts[0]]).Embeddings[0];
        for (int i = 0; i < embd; i++)
            Assert.Equal(expected[i] / length, actual[i], 5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bert_batch_equals_singles(bool quantized)
    {
        using var embedder = Embedder.Open(quantized ? SynthModels.BertMiniQ8_0 : SynthModels.BertMini, new EmbedderOptions { Threads = 2 });
        AssertBatchEqualsSingles(embedder);
    }

    [Theory]
    [InlineData(PoolingType.Last)]
    [InlineData(PoolingType.Mean)]
    public void Decoder_embeddings_are_normalised_and_batch_equals_singles(PoolingType pooling)
    {
        using var embedder = Embedder.Open(SharedData.Model("stories260K.gguf"), new EmbedderOptions { Pooling = pooling, ContextSize = 256, Threads = 2 });
        Assert.Equal(64, embedder.Dimensions);
        Assert.Equal(pooling, embedder.Pooling);
        var result = embedder.Embed(Texts);
        Assert.All(result.Embeddings, e => Assert.Equal(64, e.Length));
        Assert.All(result.Embeddings, e => Assert.Equal(1.0, Norm(e), 5));
        AssertBatchEqualsSingles(embedder);
    }

    [Fact]
    public void Decoder_defaults_to_last_token_pooling_of_the_state_the_output_head_reads()
    {
        using var model = ModelLoader.Load(SharedData.Model("stories260K.gguf"));
        var tokenizer = ModelTokenizer.For(model);
        using var embedder = new Embedder(model, tokenizer, new EmbedderOptions { Normalize = false, ContextSize = 128, Threads = 2 });
        Assert.Equal(PoolingType.Last, embedder.Pooling);
        int[] tokens = tokenizer.Encode(Texts[4]);
        var hidden = embedder.Embed([tokens]).Embeddings[0];

        // The logits of the last token are the output head applied to exactly that hidden state.
        using var context = new InferenceContext(model, new ContextOptions { ContextSize = 128, KvCacheType = Tensors.GgmlType.F32, Threads = 2 });
        using var session = context.CreateSession();
        session.Append(tokens);
        var logits = session.Logits.ToArray();
        var row = new float[model.Hyperparameters.EmbeddingLength];
        double worst = 0, scale = logits.Max(Math.Abs);
        for (int token = 0; token < model.VocabularySize; token++)
        {
            model.Output.DequantizeRow(token, row);
            double projected = row.Zip(hidden, (w, h) => (double)w * h).Sum();
            worst = Math.Max(worst, Math.Abs(projected - logits[token]));
        }
        Assert.True(worst < 2e-3 * scale, $"logits differ from the head applied to the hidden state by {worst} (scale {scale})");
    }

    [Fact]
    public void Decoder_inputs_longer_than_a_pass_are_embedded_in_chunks()
    {
        using var whole = Embedder.Open(SharedData.Model("stories260K.gguf"), new EmbedderOptions { Pooling = PoolingType.Mean, ContextSize = 128, Threads = 2 });
        using var chunked = Embedder.Open(SharedData.Model("stories260K.gguf"), new EmbedderOptions { Pooling = PoolingType.Mean, ContextSize = 128, BatchSize = 7, Threads = 2 });
        var a = whole.Embed(Texts).Embeddings;
        var b = chunked.Embed(Texts).Embeddings;
        Assert.True(whole.Tokenize(Texts[4]).Length > 7 * 2);
        for (int i = 0; i < Texts.Length; i++)
            Assert.True(Distance(a[i], b[i]) < 1e-4, $"input {i}: chunked differs by {Distance(a[i], b[i])}");
    }

    [Fact]
    public void Inputs_the_model_cannot_take_name_the_input()
    {
        using var embedder = Embedder.Open(SynthModels.BertMini, new EmbedderOptions { Threads = 1 });
        string tooLong = string.Join(' ', Enumerable.Repeat("word", 600));
        var e = Assert.Throws<EmbeddingInputException>(() => embedder.Embed(["fine", tooLong]));
        Assert.Equal(1, e.Index);
        Assert.Contains("at most 512", e.Message);
        Assert.Equal(0, Assert.Throws<EmbeddingInputException>(() => embedder.Embed([Array.Empty<int>()])).Index);
        Assert.Contains("vocabulary", Assert.Throws<EmbeddingInputException>(() => embedder.Embed([new[] { 101, 99999 }])).Message);
        // Nothing is left half done: the embedder still works.
        Assert.Equal(1, embedder.Embed(["fine"]).Count);
        Assert.Empty(embedder.Embed(Array.Empty<string>()).Embeddings);
    }

    [Fact]
    public void Cancellation_stops_before_the_next_pass()
    {
        using var embedder = Embedder.Open(SynthModels.BertMini, new EmbedderOptions { Threads = 1 });
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => embedder.Embed(Texts, cancelled.Token));
    }

    private static void AssertBatchEqualsSingles(Embedder embedder)
    {
        var batch = embedder.Embed(Texts).Embeddings;
        for (int i = 0; i < Texts.Length; i++)
        {
            var single = embedder.Embed([Texts[i]]).Embeddings[0];
            Assert.True(Distance(batch[i], single) < BatchTolerance, $"input {i}: batch and single differ by {Distance(batch[i], single)}");
        }
    }

    private static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));

    private static double Distance(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
