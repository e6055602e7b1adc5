using System.Text;

namespace Tessera.Runtime.Generation;

/// <summary>
/// Streams text while watching for stop strings: text that could still be the start of a stop string is held back
/// until it is known not to be, so a stop string never reaches the caller, even in part. Stop strings are few and
/// short, so scanning the small held-back tail per token is cheap. Used by <see cref="Generator"/> and the server.
/// </summary>
public sealed class StopStringFilter(IReadOnlyList<string> stopStrings)
{
    private readonly StringBuilder _held = new();

    /// <summary>True once a stop string appeared; everything from it on is dropped.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns what may be shown now (possibly empty).</summary>
    public string Push(string text)
    {
        if (Stopped || text.Length == 0)
            return "";
        if (stopStrings.Count == 0)
            return text;
        _held.Append(text);
        string held = _held.ToString();
        int cut = FirstMatch(held);
        if (cut >= 0)
        {
            Stopped = true;
            _held.Clear();
            return held[..cut];
        }
        int keep = HeldBackLength(held);
        _held.Clear().Append(held, held.Length - keep, keep);
        return held[..(held.Length - keep)];
    }

    /// <summary>Text still held back when generation ends without a stop string.</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _held.ToString();
        _held.Clear();
        return rest;
    }

    private int FirstMatch(string text)
    {
        int first = -1;
        foreach (string stop in stopStrings)
        {
            int at = stop.Length == 0 ? -1 : text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
                first = at;
        }
        return first;
    }

    /// <summary>Longest tail of <paramref name="text"/> that is the beginning of some stop string.</summary>
    private int HeldBackLength(string text)
    {
        int longest = 0;
        foreach (string stop in stopStrings)
        {
            for (int length = Math.Min(stop.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
