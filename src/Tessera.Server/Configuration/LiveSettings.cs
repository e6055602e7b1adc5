using Tessera.Server.Hosting;

namespace Tessera.Server.Configuration;

/// <summary>
/// The live settings of a running server: readers take <see cref="Current"/> (one snapshot, swapped whole, so a
/// reader never sees half a reload); <see cref="Changed"/> tells the parts that cache a value (each model's
/// scheduler) to take the new one.
/// </summary>
public sealed class LiveSettings(ServerOptions options)
{
    private volatile LiveValues _current = LiveValues.From(options);

    public LiveValues Current => _current;

    public int MaxQueue => _current.MaxQueue;
    public TimeSpan RequestTimeout => _current.RequestTimeout;

    /// <summary>Most tokens one scheduler step processes (0 = the batch size); schedulers follow it through <see cref="Changed"/>.</summary>
    public int StepTokenBudget => _current.StepTokenBudget;

    public Alerts.AlertThresholds Alerts => _current.Alerts;

    /// <summary>Raised after <see cref="Update"/> swaps in new values, on the updating thread.</summary>
    public event Action<LiveValues>? Changed;

    public void Update(LiveValues values)
    {
        _current = values;
        Changed?.Invoke(values);
    }
}
