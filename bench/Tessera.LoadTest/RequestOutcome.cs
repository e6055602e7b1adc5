namespace Tessera.LoadTest;

/// <summary>What one request measured. Times in seconds; <see cref="Status"/> 0 means the connection failed.
/// <see cref="Dropped"/>: the client closed the stream on purpose before the end (a simulated disconnect).</summary>
internal sealed record RequestOutcome(int Status, double Total, double? TimeToFirstToken, IReadOnlyList<double> InterTokenGaps, int CompletionTokens,
    bool Dropped = false);
