namespace Tessera.Server.Alerts;

/// <summary>
/// Evaluates the alert rules on a timer: a sample at start, then one every `alerts.interval_seconds` (read at each
/// tick, so a reload changes the period too). The latest states are what `/v1/status` and `/metrics` show; a rule
/// that fires or clears is also logged.
/// </summary>
public sealed class AlertMonitor : IDisposable
{
    private readonly Func<AlertSample> _sample;
    private readonly Func<AlertThresholds> _thresholds;
    private readonly Action<string> _log;
    private readonly AlertEvaluator _evaluator = new();
    private readonly object _gate = new();
    private readonly Timer _timer;
    private volatile IReadOnlyList<AlertState> _states;
    private bool _disposed;

    public AlertMonitor(Func<AlertSample> sample, Func<AlertThresholds> thresholds, Action<string> log)
    {
        _sample = sample;
        _thresholds = thresholds;
        _log = log;
        var initial = thresholds();
        _states = AlertRules.All.Select(rule => new AlertState(rule.Name, false, null, rule.ThresholdOf(initial), null, "not sampled yet")).ToArray();
        _timer = new Timer(_ => Tick(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>The states of the latest evaluation, in <see cref="AlertRules.All"/> order.</summary>
    public IReadOnlyList<AlertState> States => _states;

    public void Start() => _timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);

    /// <summary>Takes a sample and evaluates it now (the timer's work; tests call it directly).</summary>
    public IReadOnlyList<AlertState> Evaluate()
    {
        lock (_gate)
        {
            var previous = _states;
            var states = _evaluator.Evaluate(_sample(), _thresholds());
            _states = states;
            foreach (var (_, after) in previous.Zip(states).Where(pair => pair.First.Active != pair.Second.Active))
                _log(after.Active ? $"alert {after.Rule} active: {after.Message}" : $"alert {after.Rule} cleared: {after.Message}");
            return states;
        }
    }

    private void Tick()
    {
        try
        {
            Evaluate();
        }
        catch (Exception e)
        {
            // A failed sample must not stop the monitor; the next tick tries again.
            _log($"alert evaluation failed: {e.Message}");
        }
        lock (_gate)
        {
            if (!_disposed)
                _timer.Change(TimeSpan.FromSeconds(_thresholds().IntervalSeconds), Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }
}
