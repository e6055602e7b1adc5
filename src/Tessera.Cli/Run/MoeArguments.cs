using System.CommandLine;
using Tessera.Models.Experts;
using Tessera.Server.Configuration;

namespace Tessera.Cli.Run;

/// <summary>`--moe-schedule auto|off` of the commands that run a model: how MoE layers schedule their experts
/// (<see cref="MoeSchedule"/>); dense models ignore it.</summary>
public sealed class MoeArguments
{
    private readonly Option<string> _schedule = new("--moe-schedule")
    {
        Description = "MoE experts: auto (decode steps run the selected experts as one work list) or off (one expert at a time)",
        DefaultValueFactory = _ => "auto",
    };

    public void AddTo(Command command) => command.Options.Add(_schedule);

    /// <param name="fallback">the value when the option is not given (a config file's), else its default</param>
    public MoeSchedule Read(ParseResult parse, MoeSchedule? fallback = null)
    {
        if (fallback is { } value && !parse.IsGiven(_schedule))
            return value;
        string word = parse.GetValue(_schedule)!;
        return OptionWords.MoeSchedules.TryGetValue(word, out var schedule) ? schedule
            : throw new CliException($"--moe-schedule '{word}' is not {OptionWords.Choices(OptionWords.MoeSchedules)}");
    }
}
