namespace Tessera.ChatTemplates.Values;

/// <summary>Python's lazy <c>range(start, stop, step)</c>; never materialised unless asked.</summary>
internal sealed class RangeValue(long start, long stop, long step)
{
    public long Start { get; } = start;
    public long Stop { get; } = stop;
    public long Step { get; } = step;

    /// <summary>Number of values, computed in 128 bits so extreme bounds cannot overflow.</summary>
    public long Count
    {
        get
        {
            Int128 start = Start, stop = Stop, step = Step;
            var count = step > 0
                ? (stop > start ? (stop - start - 1) / step + 1 : 0)
                : (start > stop ? (start - stop - 1) / -step + 1 : 0);
            return (long)Int128.Min(count, long.MaxValue);
        }
    }

    public long this[long index] => Start + index * Step;
}
