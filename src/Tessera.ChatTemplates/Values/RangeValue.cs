namespace Tessera.ChatTemplates.Values;

/// <summary>Python's lazy <c>range(start, stop, step)</c>; never materialised unless asked.</summary>
internal sealed class RangeValue(long start, long stop, long step)
{
    public long Start { get; } = start;
    public long Stop { get; } = stop;
    public long Step { get; } = step;

    public long Count
    {
        get
        {
            if (Step > 0) return Stop > Start ? (Stop - Start - 1) / Step + 1 : 0;
            return Start > Stop ? (Start - Stop - 1) / -Step + 1 : 0;
        }
    }

    public long this[long index] => Start + index * Step;
}
