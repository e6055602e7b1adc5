namespace Tessera.Server.Alerts;

/// <summary>One rule after an evaluation: whether it fires, the value it read (null: nothing to read), its threshold,
/// since when it fires, and a sentence for the operator.</summary>
public sealed record AlertState(string Rule, bool Active, double? Value, double Threshold, DateTimeOffset? Since, string Message);
