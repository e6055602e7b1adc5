using Tessera.Gguf;
using Tessera.Kernels.Threading;
using Tessera.Models.Encoders;
using Tessera.Runtime;
using Tessera.Testing;

namespace Tessera.Models.Tests;

/// <summary>
/// The BERT encoder against <see cref="BertReference"/> on a random-weight `bert-mini` written by `tessera synth`:
/// every traced activation of every layer, for two sequences of different lengths in one batch, within 1e-4 of the
/// reference relative to the reference's largest magnitude at that point.
/// </summary>
public sealed class EncoderReferenceTests
{
    private const double Tolerance = 1e-4;

    private static readonly string[] Texts =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Embeddings map sentences to vectors; similar sentences land close together, even when they share few words.",
    ];

    [Fact]
    public void Encoder_matches_the_independent_reference_layer_by_layer()
    {
        using var model = ModelLoader.LoadEncoder(SynthModels.BertMini);
        var tokenizer = ModelTokenizer.For(model);
        var sequences = Texts.Select(text => tokenizer.Encode(text)).ToArray();
        Assert.All(sequences, s => Assert.True(s.Length > 8));

        var traced = new Dictionary<(string, int), float[]>();
        model.Trace = (point, layer, values, _) => traced[(point, layer)] = values.ToArray();
        var batch = new TokenBatch(sequences.Sum(s => s.Length));
        for (int s = 0; s < sequences.Length; s++)
        {
            for (int p = 0; p < sequences[s].Length; p++)
                batch.Add(sequences[s][p], p, s, wantsLogits: true);
        }
        using var pool = new KernelThreadPool(2);
        var hidden = new float[batch.Count * model.Hyperparameters.EmbeddingLength];
        model.Forward(batch, model.CreateScratch(batch.Count), pool, hidden);

        using var file = GgufFile.Open(SynthModels.BertMini);
        var reference = new BertReference(file);
        var expected = sequences.Select(reference.Run).ToArray();
        var points = expected[0].Keys.Where(key => key.Point != "pooled").ToArray();
        Assert.Equal(3 + model.Hyperparameters.LayerCount * 7 - 1, points.Length);
        foreach (var key in points)
        {
            Assert.True(traced.ContainsKey(key), $"the encoder did not trace {key}");
            var want = expected.SelectMany(e => e[key]).ToArray();   // the sequences one after the other, as in the batch
            AssertClose(want, traced[key], $"{key.Point} of layer {key.Layer}");
        }
        var lastLayer = expected.SelectMany(e => e[("l_out", model.Hyperparameters.LayerCount - 1)]).ToArray();
        AssertClose(lastLayer, hidden, "the output hidden states");
    }

    [Fact]
    public void Encoder_reads_the_bert_hyperparameters_and_refuses_to_generate()
    {
        using var model = ModelLoader.LoadEncoder(SynthModels.BertMini);
        var hp = model.Hyperparameters;
        Assert.Equal((128, 2, 4, 32, 512, 512, 30522), (hp.EmbeddingLength, hp.LayerCount, hp.HeadCount, hp.HeadDim, hp.FeedForwardLength, hp.ContextLength, hp.VocabularySize));
        Assert.Equal(PoolingType.Mean, hp.Pooling);
        Assert.Equal(1e-12f, hp.LayerNormEpsilon);
        Assert.NotNull(model.TokenTypeEmbedding);

        var e = Assert.Throws<ModelException>(() => ModelLoader.Load(SynthModels.BertMini));
        Assert.Contains("encoder", e.Message);
        var d = Assert.Throws<ModelException>(() => ModelLoader.LoadEncoder(SharedData.Model("stories260K.gguf")));
        Assert.Contains("decoder", d.Message);
    }

    [Fact]
    public void Batches_that_break_the_encoder_rules_are_refused()
    {
        using var model = ModelLoader.LoadEncoder(SynthModels.BertMini);
        using var pool = new KernelThreadPool(1);
        var scratch = model.CreateScratch(8);
        var hidden = new float[8 * model.Hyperparameters.EmbeddingLength];
        var split = new TokenBatch(8);
        split.Add(101, 0, 0, true);
        split.Add(102, 0, 1, true);
        split.Add(103, 1, 0, true);      // sequence 0 again, in a second run
        Assert.Contains("split", Assert.Throws<ArgumentException>(() => model.Forward(split, scratch, pool, hidden)).Message);
        var offset = new TokenBatch(8);
        offset.Add(101, 3, 0, true);     // an encoder sees sequences whole, from position 0
        Assert.Contains("positions", Assert.Throws<ArgumentException>(() => model.Forward(offset, scratch, pool, hidden)).Message);
        var outside = new TokenBatch(8);
        outside.Add(30522, 0, 0, true);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => model.Forward(outside, scratch, pool, hidden)).Message);
    }

    /// <summary>max |actual - expected| within <see cref="Tolerance"/> of max |expected|.</summary>
    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance * scale, $"{what}: max difference {worst:E3} exceeds {Tolerance} x {scale:E3}");
    }
}
