using System.CommandLine;
using Tessera.Models.Experts;
using Tessera.Runtime.Experts;
using Tessera.Server.Configuration;

namespace Tessera.Cli.Run;

/// <summary>`--moe-schedule auto|off` of the commands that run a model: how MoE layers schedule their experts
/// (<see cref="MoeSchedule"/>); and `--hot-experts N|auto` with `--mem-limit SIZE`, the expert memory tier
/// (<see cref="ExpertTierOptions"/>). Dense models ignore them.</summary>
public sealed class MoeArguments
{
    private readonly Option<string> _schedule = new("--moe-schedule")
    {
        Description = "MoE experts: auto (decode steps run the selected experts as one work list) or off (one expert at a time)",
        DefaultValueFactory = _ => "auto",
    };

    private readonly Option<string?> _hotExperts = new("--hot-experts")
    {
        Description = "MoE experts kept resident per layer, the most chosen ones (auto: as many as --mem-limit holds); the rest are read from the mapped file when chosen",
    };

    private readonly Option<string?> _memoryLimit = new("--mem-limit")
    {
        Description = "Memory the model's weights may keep resident (e.g. 6G; default: the machine's): MoE experts beyond it stay on disk",
    };

    private readonly Option<string?> _device = new("--moe-device")
    {
        Description = "NAME[:SIZE]: keep copies of each layer's most chosen MoE experts on this accelerator (up to SIZE of its memory), the rest on the CPU",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_device);
        command.Options.Add(_schedule);
        command.Options.Add(_hotExperts);
        command.Options.Add(_memoryLimit);
    }

    /// <summary>The accelerator for hot-expert copies: the flag, else <paramref name="fallback"/> (a config file's).</summary>
    public ExpertDeviceOptions? ReadDevice(ParseResult parse, ExpertDeviceOptions? fallback = null)
    {
        if (parse.GetValue(_device) is not { } text)
            return fallback;
        try
        {
            return Server.Configuration.MoeDeviceValue.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliException($"--moe-device {e.Message}");
        }
    }

    /// <summary>The expert tier asked for: the flags over <paramref name="fallback"/> (a config file's), or null when
    /// neither --hot-experts nor --mem-limit is given and there is no fallback.</summary>
    public ExpertTierOptions? ReadTier(ParseResult parse, ExpertTierOptions? fallback = null)
    {
        string? hot = parse.GetValue(_hotExperts);
        string? limit = parse.GetValue(_memoryLimit);
        if (hot is null && limit is null)
            return fallback;
        int? hotExperts = null;
        if (hot is not null && !hot.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            if (!int.TryParse(hot, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count))
                throw new CliException($"--hot-experts '{hot}' is not a count of experts or 'auto'");
            hotExperts = count;
        }
        var tier = fallback ?? new ExpertTierOptions();
        return tier with
        {
            HotExperts = hot is null ? tier.HotExperts : hotExperts,
            MemoryLimit = limit is null ? tier.MemoryLimit : Units.ParseBytes(limit),
        };
    }

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
