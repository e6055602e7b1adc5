using System.Text;

namespace Tessera.Server.Scheduling;

/// <summary>
/// Watches streamed text for stop strings. Text is released only once it can no longer turn into a stop string, so
/// the client never sees a stop string, not even its first characters. Stop strings are few (at most 4) and short, so
/// a scan of the small held-back tail per token is cheap.
/// </summary>
internal sealed class StopTextFilter(IReadOnlyList<string> stopStrings)
{
    private readonly StringBuilder _held = new();

    /// <summary>True once a stop string appeared; everything from it on is dropped.</summary>
    public bool Matched { get; private set; }

    /// <summary>Adds generated text; returns the part that is safe to show now.</summary>
    public string Push(string piece)
    {
        if (Matched || piece.Length == 0)
            return "";
        if (stopStrings.Count == 0)
            return piece;
        _held.Append(piece);
        string held = _held.ToString();
        int cut = FirstMatch(held);
        if (cut >= 0)
        {
            Matched = true;
            _held.Clear();
            return held[..cut];
        }
        int keep = HeldBackLength(held);
        _held.Clear().Append(held, held.Length - keep, keep);
        return held[..(held.Length - keep)];
    }

    /// <summary>Releases what is held back when generation ends for another reason.</summary>
    public string Drain()
    {
        string rest = Matched ? "" : _held.ToString();
        _held.Clear();
        return rest;
    }

    private int FirstMatch(string text)
    {
        int first = -1;
        foreach (string stop in stopStrings)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
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
