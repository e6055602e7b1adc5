using System.CommandLine;
using Tessera.Models.Experts;

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

    public MoeSchedule Read(ParseResult parse) => parse.GetValue(_schedule)!.ToLowerInvariant() switch
    {
        "auto" => MoeSchedule.Auto,
        "off" => MoeSchedule.Off,
        var other => throw new CliException($"--moe-schedule '{other}' is not auto or off"),
    };
}
