namespace Tessera.Server.Degradation;

/// <summary>The rungs of the load-shedding ladder, mildest first; each keeps what the ones below it do.</summary>
public enum DegradationLevel
{
    /// <summary>Everything as configured.</summary>
    Normal = 0,

    /// <summary>Smaller step token budget (shorter steps, smoother streams) and a cap on each new request's max_tokens.</summary>
    Shrink = 1,

    /// <summary>New generation requests keep their keys and values in Q8_0 (about half the KV pages per token) where
    /// the model's cache can hold them (skipped when the policy turns it off).</summary>
    KvPrecision = 2,

    /// <summary>New generation requests go to the configured smaller model (skipped when none is configured).</summary>
    SmallerModel = 3,

    /// <summary>New generation requests get 503 with Retry-After; running ones finish.</summary>
    Reject = 4,
}
