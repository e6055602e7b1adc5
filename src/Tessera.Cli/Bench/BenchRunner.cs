using System.Diagnostics;
using Tessera.Kernels.Memory;
using Tessera.Kernels.Threading;
using Tessera.Runtime;

namespace Tessera.Cli.Bench;

/// <summary>
/// Measures prompt processing (one prompt of n tokens) and generation (n single-token steps), each after untimed
/// warm-up runs, from an empty context or, with a <paramref name="depth"/>, after that many tokens already in the
/// context (processed untimed before each run, as llama-bench's <c>-d</c> does): attention's share grows with it.
/// Tokens are drawn at random from the vocabulary with a fixed seed: speed does not depend on which tokens they are.
/// With a <paramref name="bandwidth"/> probe, generation is also set against the machine's memory read rate, measured
/// with the pool's threads before and after each timed run (<see cref="DecodeBandwidth"/>).
/// </summary>
public sealed class BenchRunner(Session session, int vocabularySize, KernelThreadPool? pool = null, int depth = 0,
    (MemoryReadProbe Probe, long WeightBytesPerToken)? bandwidth = null)
{
    /// <summary>Fixed seed so every run feeds the same tokens.</summary>
    private const int TokenSeed = 1234;

    /// <summary>
    /// Warm-up runs repeat until this much time has passed (at least one run): the runtime first runs methods as
    /// quickly compiled code and recompiles the hot ones with full optimization after a few dozen calls and a short
    /// delay, so a tiny model's millisecond-long runs would otherwise be timed before that (stories260K: 1,100 vs
    /// 7,600 tokens/s generating). A large model's first run already takes longer than this.
    /// </summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1.5);

    /// <summary>Runs <paramref name="run"/> untimed until <see cref="WarmUp"/> has passed.</summary>
    private static void WarmUpWith(Action run)
    {
        var clock = Stopwatch.StartNew();
        do
            run();
        while (clock.Elapsed < WarmUp);
    }

    /// <summary>The context the timed tokens follow: <c>depth</c> tokens other than the timed ones.</summary>
    private readonly int[] _context = RandomTokens(depth, vocabularySize, TokenSeed + 1);

    /// <summary>Empties the session and fills it with the untimed context.</summary>
    private void Reset()
    {
        session.Clear();
        if (_context.Length > 0)
            session.Append(_context);
    }

    /// <summary>The test's name: llama-bench's, with " @ dN" when there is a depth.</summary>
    private string Name(string test) => depth == 0 ? test : $"{test} @ d{depth}";

    public BenchResult PromptProcessing(int tokens, int repetitions)
    {
        int[] prompt = RandomTokens(tokens);
        var times = new double[repetitions];
        var firstToken = TimeSpan.Zero;
        // The warm-up runs exactly what is timed, so nothing is compiled for the first time inside a timed run.
        void Run()
        {
            session.Append(prompt);
            _ = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(session.Logits);
        }
        WarmUpWith(() =>
        {
            Reset();
            Run();
        });
        for (int r = 0; r < repetitions; r++)
        {
            Reset();
            var clock = Stopwatch.StartNew();
            Run();
            times[r] = clock.Elapsed.TotalSeconds;
            firstToken += clock.Elapsed;
        }
        double? idle = IdleFraction(() =>
        {
            Reset();
            Run();
        });
        return new BenchResult(Name($"pp{tokens}"), tokens, 0, times, firstToken / repetitions) { IdleFraction = idle, Depth = depth };
    }

    public BenchResult Generation(int tokens, int repetitions)
    {
        int[] generated = RandomTokens(tokens);
        var times = new double[repetitions];
        var firstToken = TimeSpan.Zero;
        WarmUpWith(() =>
        {
            Reset();
            for (int i = 0; i < tokens; i++)
                session.Append(generated[i]);
        });
        var readRates = new double[repetitions + 1];
        for (int r = 0; r < repetitions; r++)
        {
            Reset();
            readRates[r] = ReadRate();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < tokens; i++)
            {
                session.Append(generated[i]);
                if (i == 0)
                    firstToken += clock.Elapsed;
            }
            times[r] = clock.Elapsed.TotalSeconds;
        }
        readRates[repetitions] = ReadRate();
        double? idle = IdleFraction(() =>
        {
            Reset();
            for (int i = 0; i < tokens; i++)
                session.Append(generated[i]);
        });
        return new BenchResult(Name($"tg{tokens}"), 0, tokens, times, firstToken / repetitions)
        {
            IdleFraction = idle,
            Depth = depth,
            Bandwidth = BandwidthOf(tokens, times, readRates),
        };
    }

    /// <summary>The machine's memory read rate now with the pool's threads (0 without a probe).</summary>
    private double ReadRate() => bandwidth is { } b && pool is not null ? b.Probe.BytesPerSecond(pool, pool.ThreadCount) : 0;

    /// <summary>Each run's weight bytes per second against the mean of the read rates measured just before and after
    /// it, so a change in the machine's memory rate between runs moves both sides of the ratio.</summary>
    private DecodeBandwidth? BandwidthOf(int tokens, double[] times, double[] readRates)
    {
        if (bandwidth is not { } b || pool is null)
            return null;
        double share = 0;
        for (int r = 0; r < times.Length; r++)
            share += tokens / times[r] * b.WeightBytesPerToken / ((readRates[r] + readRates[r + 1]) / 2);
        return new DecodeBandwidth(b.WeightBytesPerToken, readRates.Average(), share / times.Length);
    }

    /// <summary>
    /// Generation that samples each next token (temperature 1, fixed seed) instead of feeding given ones, with the
    /// logits masked by <paramref name="grammar"/> when one is given: the pair of runs (with and without) measures what
    /// constrained decoding adds per token. A completed grammar starts over, so every run makes the same number of steps.
    /// </summary>
    public BenchResult SampledGeneration(int tokens, int repetitions, Tokenizers.Tokenizer tokenizer, Runtime.Grammars.CompiledGrammar? grammar)
    {
        var times = new double[repetitions];
        var firstToken = TimeSpan.Zero;
        var logits = new float[vocabularySize];
        int[] history = new int[tokens + 1];
        if (grammar is not null)
            Runtime.Grammars.TokenTrie.For(tokenizer);   // built once, as a server does before the first request
        for (int r = -1; r < repetitions; r++)
        {
            Reset();
            var sampler = new Runtime.Sampling.Sampler(new Runtime.Sampling.SamplerOptions { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, Seed = TokenSeed }, vocabularySize);
            var matcher = grammar is null ? null : new Runtime.Grammars.GrammarMatcher(grammar, tokenizer);
            var clock = Stopwatch.StartNew();
            history[0] = tokenizer.BosId ?? 0;
            session.Append(history[0]);
            for (int i = 1; i <= tokens; i++)
            {
                session.Logits.CopyTo(logits);
                matcher?.Apply(logits, tokens - i + 1);
                int token = sampler.Sample(logits, history.AsSpan(0, i));
                if (matcher is not null && (!matcher.Accept(token) || matcher.IsComplete || tokenizer.EndOfGenerationIds.Contains(token)))
                    matcher = new Runtime.Grammars.GrammarMatcher(grammar!, tokenizer);
                history[i] = token;
                if (i < tokens)   // n forwards (the first token and n - 1 sampled ones) and n samples
                    session.Append(token);
                if (i == 1 && r >= 0)
                    firstToken += clock.Elapsed;
            }
            if (r >= 0)
                times[r] = clock.Elapsed.TotalSeconds;
        }
        return new BenchResult(Name(grammar is null ? $"tg{tokens}+sample" : $"tg{tokens}+schema"), 0, tokens, times, firstToken / repetitions) { Depth = depth };
    }

    private int[] RandomTokens(int count) => RandomTokens(count, vocabularySize, TokenSeed);

    private static int[] RandomTokens(int count, int vocabularySize, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocabularySize)).ToArray();
    }

    /// <summary>
    /// The kernel threads' idle fraction inside pool operations during one more, untimed run of <paramref name="run"/>
    /// (null without a pool): the pool's counters read the clock around every task, which would slow the timed runs.
    /// </summary>
    private double? IdleFraction(Action run)
    {
        if (pool is null)
            return null;
        var (busyBefore, capacityBefore) = pool.Utilization;
        pool.MeasuresUtilization = true;
        try
        {
            run();
        }
        finally
        {
            pool.MeasuresUtilization = false;
        }
        var (busy, capacity) = pool.Utilization;
        return capacity > capacityBefore ? 1 - (double)(busy - busyBefore) / (capacity - capacityBefore) : null;
    }
}
