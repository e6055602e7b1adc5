namespace Tessera.Cli.Bench;

/// <summary>One benchmark test (`pp512` or `tg128`): throughput over the repetitions.</summary>
public sealed record BenchResult(string Test, int PromptTokens, int GeneratedTokens, double[] Seconds, TimeSpan TimeToFirstToken)
{
    private int Tokens => PromptTokens + GeneratedTokens;

    /// <summary>Fraction of the kernel threads' time spent idle inside operations during the timed runs (waiting at
    /// a barrier for a longer task); null where it was not measured.</summary>
    public double? IdleFraction { get; init; }

    /// <summary>Tokens already in the context when the timed ones start.</summary>
    public int Depth { get; init; }

    /// <summary>Generation's share of the machine's memory read rate; null where it was not measured.</summary>
    public DecodeBandwidth? Bandwidth { get; init; }

    /// <summary>Mean tokens per second over the repetitions.</summary>
    public double TokensPerSecond => Seconds.Average(s => Tokens / s);

    /// <summary>Sample standard deviation of tokens per second (0 for one repetition).</summary>
    public double StandardDeviation
    {
        get
        {
            if (Seconds.Length < 2)
                return 0;
            double mean = TokensPerSecond;
            return Math.Sqrt(Seconds.Sum(s => (Tokens / s - mean) * (Tokens / s - mean)) / (Seconds.Length - 1));
        }
    }
}
