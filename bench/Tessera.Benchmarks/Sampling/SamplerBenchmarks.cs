using BenchmarkDotNet.Attributes;
using Tessera.Runtime.Sampling;

namespace Tessera.Benchmarks.Sampling;

/// <summary>
/// One <see cref="Sampler.Sample"/> call over a 32,000-token vocabulary (LLaMA-sized) for the settings clients send
/// most: greedy, temperature alone (top-k 0, top-p 1, min-p 0: what most OpenAI clients ask for), and temperature with
/// one of top-k, top-p or min-p. Single-threaded, like the server's sampling.
/// Run: dotnet run -c Release --project bench/Tessera.Benchmarks -- --filter '*SamplerBenchmarks*'
/// </summary>
[Config(typeof(SamplerBenchmarkConfig))]
public class SamplerBenchmarks
{
    private const int VocabularySize = 32_000;

    /// <summary>Spread of the synthetic logits: a normal distribution this wide puts a few thousand tokens in top-p 0.95
    /// and a few dozen in min-p 0.05, the shape of a language model's next-token distribution.</summary>
    private const float LogitDeviation = 3f;

    private const float Temperature = 0.8f;

    private static readonly SamplerOptions TemperatureOnly = new() { Temperature = Temperature, TopK = 0, TopP = 1, MinP = 0, Seed = 1 };

    private readonly float[] _logits = new float[VocabularySize];
    private Sampler _greedy = null!, _temperature = null!, _topK = null!, _topP = null!, _minP = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1234);
        for (int i = 0; i < _logits.Length; i++)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            _logits[i] = (float)(LogitDeviation * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        _greedy = new Sampler(SamplerOptions.Greedy, VocabularySize);
        _temperature = new Sampler(TemperatureOnly, VocabularySize);
        _topK = new Sampler(TemperatureOnly with { TopK = 40 }, VocabularySize);
        _topP = new Sampler(TemperatureOnly with { TopP = 0.95f }, VocabularySize);
        _minP = new Sampler(TemperatureOnly with { MinP = 0.05f }, VocabularySize);
    }

    [Benchmark(Baseline = true)]
    public int Greedy() => _greedy.Sample(_logits, []);

    [Benchmark]
    public int TemperatureAlone() => _temperature.Sample(_logits, []);

    [Benchmark]
    public int TopK40() => _topK.Sample(_logits, []);

    [Benchmark]
    public int TopP095() => _topP.Sample(_logits, []);

    [Benchmark]
    public int MinP005() => _minP.Sample(_logits, []);
}
