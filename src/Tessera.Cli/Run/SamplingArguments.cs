using System.CommandLine;
using Tessera.Runtime.Sampling;

namespace Tessera.Cli.Run;

/// <summary>The sampler options shared by commands that generate text.</summary>
public sealed class SamplingArguments
{
    private static readonly SamplerOptions Defaults = new();

    public Option<float> Temperature { get; } = new("--temp") { Description = "Sampling temperature; 0 = greedy", DefaultValueFactory = _ => Defaults.Temperature };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => Defaults.TopK };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling threshold (1 = off)", DefaultValueFactory = _ => Defaults.TopP };
    public Option<float> MinP { get; } = new("--min-p") { Description = "Drop tokens below min-p x the top probability (0 = off)", DefaultValueFactory = _ => Defaults.MinP };
    public Option<float> RepeatPenalty { get; } = new("--repeat-penalty") { Description = "Penalty for recently seen tokens (1 = off)", DefaultValueFactory = _ => Defaults.RepeatPenalty };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Random seed (same seed, same output)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Temperature, TopK, TopP, MinP, RepeatPenalty, Seed })
            command.Options.Add(option);
    }

    public SamplerOptions Read(ParseResult parse)
    {
        float topP = parse.GetValue(TopP);
        float minP = parse.GetValue(MinP);
        if (topP is <= 0 or > 1)
            throw new CliException($"--top-p {topP} must be in (0, 1]");
        if (minP is < 0 or > 1)
            throw new CliException($"--min-p {minP} must be in [0, 1]");
        float penalty = parse.GetValue(RepeatPenalty);
        if (penalty <= 0)
            throw new CliException($"--repeat-penalty {penalty} must be positive");
        return new SamplerOptions
        {
            Temperature = parse.GetValue(Temperature),
            TopK = parse.GetValue(TopK),
            TopP = topP,
            MinP = minP,
            RepeatPenalty = penalty,
            Seed = parse.GetValue(Seed),
        };
    }
}
