namespace Tessera.LoadTest;

/// <summary>What one request measured. Times in seconds; <see cref="Status"/> 0 means the connection failed.</summary>
internal sealed record RequestOutcome(int Status, double Total, double? TimeToFirstToken, IReadOnlyList<double> InterTokenGaps, int CompletionTokens);
