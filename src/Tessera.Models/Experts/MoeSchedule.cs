namespace Tessera.Models.Experts;

/// <summary>How a mixture-of-experts layer schedules its experts (`--moe-schedule`).</summary>
public enum MoeSchedule
{
    /// <summary>Decode steps (a few tokens) run the selected experts' products as one work list over all compute
    /// units: gate and up of every selected expert in one pass, then every down projection in one pass. Larger batches
    /// (prompts, many sequences) pack every active expert's row shards onto the compute units longest first, in one
    /// grouped pass for gate and up and one for down.</summary>
    Auto,

    /// <summary>One expert at a time, each over all the tokens routed to it (the reference order).</summary>
    Off,
}
