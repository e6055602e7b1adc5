namespace Tessera.Server.Alerts;

/// <summary>
/// Turns a sequence of samples into rule states, with nothing but the samples and the thresholds as input (the
/// monitor feeds it on a timer; tests feed it scripted samples). An inactive rule fires when its reading says so and
/// stays active, with the time it fired, until its reading clears it.
/// </summary>
public sealed class AlertEvaluator(IReadOnlyList<AlertRule>? rules = null)
{
    /// <summary>Samples kept: enough for the longest memory window a config may ask for.</summary>
    private const int MaxHistory = 101;

    private readonly IReadOnlyList<AlertRule> _rules = rules ?? AlertRules.All;
    private readonly List<AlertSample> _history = [];
    private readonly Dictionary<string, DateTimeOffset> _activeSince = [];

    /// <summary>The states after one more sample.</summary>
    public IReadOnlyList<AlertState> Evaluate(AlertSample sample, AlertThresholds thresholds)
    {
        _history.Add(sample);
        if (_history.Count > MaxHistory)
            _history.RemoveAt(0);
        var states = new AlertState[_rules.Count];
        for (int i = 0; i < _rules.Count; i++)
        {
            var rule = _rules[i];
            var reading = rule.Read(_history, thresholds);
            bool wasActive = _activeSince.TryGetValue(rule.Name, out var since);
            bool active = wasActive ? !reading.Clear : reading.Fire;
            if (active && !wasActive)
                _activeSince[rule.Name] = since = sample.Time;
            else if (!active)
                _activeSince.Remove(rule.Name);
            states[i] = new AlertState(rule.Name, active, reading.Value, rule.ThresholdOf(thresholds), active ? since : null, reading.Message);
        }
        return states;
    }

    /// <summary>The states after every sample of <paramref name="samples"/>, one list per sample.</summary>
    public static IReadOnlyList<IReadOnlyList<AlertState>> Run(IEnumerable<AlertSample> samples, AlertThresholds thresholds, IReadOnlyList<AlertRule>? rules = null)
    {
        var evaluator = new AlertEvaluator(rules);
        return samples.Select(sample => evaluator.Evaluate(sample, thresholds)).ToArray();
    }
}
