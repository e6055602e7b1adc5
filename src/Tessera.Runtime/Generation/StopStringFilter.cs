using System.Text;

namespace Tessera.Runtime.Generation;

/// <summary>
/// Streams text while watching for stop strings: text that could still be the start of a stop string is held back
/// until it is known not to be, so a stop string never reaches the caller, even in part.
/// </summary>
internal sealed class StopStringFilter(IReadOnlyList<string> stopStrings)
{
    private readonly StringBuilder _pending = new();

    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns what may be shown now (possibly empty).</summary>
    public string Push(string text)
    {
        if (Stopped)
            return "";
        _pending.Append(text);
        string pending = _pending.ToString();
        int stopAt = int.MaxValue;
        foreach (var stop in stopStrings)
        {
            int index = stop.Length == 0 ? -1 : pending.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0)
                stopAt = Math.Min(stopAt, index);
        }
        if (stopAt != int.MaxValue)
        {
            Stopped = true;
            _pending.Clear();
            return pending[..stopAt];
        }
        int hold = stopStrings.Select(stop => LongestSuffixThatStarts(pending, stop)).DefaultIfEmpty(0).Max();
        _pending.Clear();
        _pending.Append(pending, pending.Length - hold, hold);
        return pending[..^hold];
    }

    /// <summary>Text still held back when generation ends without a stop string.</summary>
    public string Flush()
    {
        string rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }

    private static int LongestSuffixThatStarts(string text, string stop)
    {
        for (int length = Math.Min(text.Length, stop.Length - 1); length > 0; length--)
        {
            if (string.CompareOrdinal(text, text.Length - length, stop, 0, length) == 0)
                return length;
        }
        return 0;
    }
}
