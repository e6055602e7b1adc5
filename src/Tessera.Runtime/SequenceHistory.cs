namespace Tessera.Runtime;

/// <summary>
/// The tokens a sequence's KV cells were computed from, with the boundaries of the forward passes that computed them,
/// so a device fallback can recompute the cells the same way (the same chunks through the same kernels) on the
/// remaining devices.
/// </summary>
internal sealed class SequenceHistory
{
    private readonly List<int> _tokens = [];
    private readonly List<int> _passEnds = [];

    public int Length => _tokens.Count;

    /// <summary>The tokens at positions 0..Length-1.</summary>
    public ReadOnlySpan<int> Tokens => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens);

    /// <summary>Records a pass that computed <paramref name="tokens"/> at positions start..; later positions are forgotten.</summary>
    public void Record(int start, ReadOnlySpan<int> tokens)
    {
        Truncate(start);
        _tokens.AddRange(tokens);
        _passEnds.Add(_tokens.Count);
    }

    public void Truncate(int length)
    {
        if (length >= _tokens.Count)
            return;
        _tokens.RemoveRange(length, _tokens.Count - length);
        while (_passEnds.Count > 0 && _passEnds[^1] > length)
            _passEnds.RemoveAt(_passEnds.Count - 1);
        if (length > 0 && (_passEnds.Count == 0 || _passEnds[^1] != length))
            _passEnds.Add(length);
    }

    public void Clear()
    {
        _tokens.Clear();
        _passEnds.Clear();
    }

    /// <summary>The recorded passes in order: (first position, tokens).</summary>
    public IEnumerable<(int Start, int[] Tokens)> Passes()
    {
        int start = 0;
        foreach (int end in _passEnds)
        {
            yield return (start, _tokens.GetRange(start, end - start).ToArray());
            start = end;
        }
    }
}
