namespace Tessera.Server.Alerts;

/// <summary>
/// One alert rule: its name (the `rule` label), its threshold, and how it reads the samples (newest last) into an
/// <see cref="AlertReading"/>. <see cref="Threshold(string, Func{AlertThresholds, double}, Func{AlertSample, double?}, Func{double?, double, string})"/>
/// builds the common kind: fire over the threshold, clear below <see cref="ClearFraction"/> of it.
/// </summary>
public sealed class AlertRule(string name, Func<AlertThresholds, double> threshold, Func<IReadOnlyList<AlertSample>, AlertThresholds, AlertReading> read)
{
    /// <summary>A firing threshold rule clears only 10% below its threshold, so a value hovering at the limit does not flap.</summary>
    public const double ClearFraction = 0.9;

    public string Name { get; } = name;

    public double ThresholdOf(AlertThresholds thresholds) => threshold(thresholds);

    /// <param name="history">the samples so far, oldest first (at least one)</param>
    public AlertReading Read(IReadOnlyList<AlertSample> history, AlertThresholds thresholds) => read(history, thresholds);

    /// <summary>A rule on one value of the newest sample; a null value (nothing measured) never fires and clears.</summary>
    public static AlertRule Threshold(string name, Func<AlertThresholds, double> threshold, Func<AlertSample, double?> value,
        Func<double?, double, string> describe) =>
        new(name, threshold, (history, thresholds) =>
        {
            double limit = threshold(thresholds);
            double? current = value(history[^1]);
            return new AlertReading(current, current > limit, current is null || current < limit * ClearFraction, describe(current, limit));
        });
}
