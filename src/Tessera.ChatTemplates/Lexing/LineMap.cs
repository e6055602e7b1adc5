namespace Tessera.ChatTemplates.Lexing;

/// <summary>Turns an offset into the source into a 1-based line and column.</summary>
internal sealed class LineMap
{
    private readonly List<int> _lineStarts = [0];

    public LineMap(string source)
    {
        for (var i = 0; i < source.Length; i++)
        {
            if (source[i] == '\n') _lineStarts.Add(i + 1);
        }
    }

    public SourcePosition At(int offset)
    {
        var index = _lineStarts.BinarySearch(offset);
        var line = index >= 0 ? index : ~index - 1;
        return new SourcePosition(line + 1, offset - _lineStarts[line] + 1);
    }
}
