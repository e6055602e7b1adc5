using Tessera.Server.Hosting;

namespace Tessera.Server.Configuration;

/// <summary>The settings that may change while the server runs (a SIGHUP reload), as one immutable snapshot.</summary>
public sealed record LiveValues(int MaxQueue, TimeSpan RequestTimeout, int StepTokenBudget, Alerts.AlertThresholds Alerts)
{
    public static LiveValues From(ServerOptions options) => new(options.MaxQueue, options.RequestTimeout, options.StepTokenBudget, options.Alerts);

    /// <summary><paramref name="options"/> with these values, e.g. for a model loaded after a reload.</summary>
    public ServerOptions ApplyTo(ServerOptions options) =>
        options with { MaxQueue = MaxQueue, RequestTimeout = RequestTimeout, StepTokenBudget = StepTokenBudget, Alerts = Alerts };
}
