namespace Tessera.Cli.Bench;

/// <summary>
/// What a generation test made of the machine's memory bandwidth (`tessera bench --bandwidth`): decode reads every
/// weight once a token, so its rate is bounded by the memory read rate over <see cref="WeightBytesPerToken"/>.
/// </summary>
/// <param name="WeightBytesPerToken">weight bytes a token reads (<see cref="Models.TransformerModel.DecodeWeightBytes"/>)</param>
/// <param name="ReadBytesPerSecond">the machine's read rate with the same threads, measured around each timed run (mean)</param>
/// <param name="Share">tokens/s x weight bytes over the read rate measured just before and after each run, averaged
/// over the runs: at 1.0 generation would read weights as fast as the machine reads memory at all</param>
public sealed record DecodeBandwidth(long WeightBytesPerToken, double ReadBytesPerSecond, double Share);
