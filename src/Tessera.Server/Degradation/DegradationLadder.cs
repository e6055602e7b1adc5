namespace Tessera.Server.Degradation;

/// <summary>The ladder's state: a pure function of the samples it is shown (the <see cref="LoadShedder"/> feeds it on a timer).</summary>
public sealed class DegradationLadder(DegradationPolicy policy)
{
    private int _over;
    private int _under;

    public DegradationLevel Level { get; private set; }

    /// <summary>The last sample, for status reports.</summary>
    public LoadSignal Last { get; private set; }

    /// <summary>Takes one sample; returns true when the level changed.</summary>
    public bool Observe(LoadSignal signal)
    {
        Last = signal;
        bool over = signal.QueueSeconds > policy.QueueSecondsHigh || (policy.P95SecondsHigh > 0 && signal.P95Seconds > policy.P95SecondsHigh);
        bool under = signal.QueueSeconds <= policy.QueueSecondsHigh * policy.RecoverFraction
            && (policy.P95SecondsHigh == 0 || signal.P95Seconds <= policy.P95SecondsHigh * policy.RecoverFraction);
        _over = over ? _over + 1 : 0;
        _under = under ? _under + 1 : 0;
        var before = Level;
        if (_over >= policy.SamplesUp && Level != DegradationLevel.Reject)
        {
            do
                Level++;
            while (policy.Skips(Level));
            _over = 0;
        }
        else if (_under >= policy.SamplesDown && Level != DegradationLevel.Normal)
        {
            do
                Level--;
            while (policy.Skips(Level));
            _under = 0;
        }
        return Level != before;
    }
}
