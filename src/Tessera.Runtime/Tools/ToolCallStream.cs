namespace Tessera.Runtime.Tools;

/// <summary>
/// Splits a streamed answer as it grows: text that cannot be part of a call is released at once; from where a call
/// may begin, text is held until the answer ends, then parsed: the calls come out as calls, or, when they do not
/// parse, the held text comes out as text. Nothing is lost either way.
/// </summary>
public sealed class ToolCallStream(ToolCallFormat format)
{
    private readonly System.Text.StringBuilder _answer = new();
    private int _released;

    /// <summary>Adds generated text; returns what can be streamed as content now (possibly empty).</summary>
    public string Append(string text)
    {
        _answer.Append(text);
        string answer = _answer.ToString();
        int safe = format.HoldFrom(answer);
        if (safe <= _released)
            return "";
        string released = answer[_released..safe];
        _released = safe;
        return released;
    }

    /// <summary>At the end: the content not yet released and the calls. Calls only ever start in the held part, so
    /// parsing that part alone finds them all.</summary>
    public ToolCallParse Finish()
    {
        string held = _answer.ToString(_released, _answer.Length - _released);
        _released = _answer.Length;
        var parsed = format.Parse(held);
        return parsed.Calls.Count == 0 ? new ToolCallParse(held, []) : parsed;
    }
}
