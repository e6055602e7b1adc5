using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tessera.Runtime.Sampling;

/// <summary>
/// Visits, in increasing order, the indices of the values at or above a threshold (and at or below a ceiling, if
/// given): eight values are compared at once
/// and only the set bits of the comparison are visited, so passes that keep a few of the vocabulary's ids cost one
/// vector compare per eight ids plus one step per id kept. The threshold may be raised while scanning (later blocks
/// use the new one); callers recheck their exact condition on each visited index.
/// </summary>
internal ref struct ThresholdScan
{
    private const int Width = 8;   // floats in a Vector256

    private readonly ref float _values;
    private readonly int _length;
    private readonly int _lastFullBlock;   // start of the last block of eight that lies inside the values
    private Vector256<float> _threshold;
    private readonly Vector256<float> _ceiling;
    private int _blockStart;
    private uint _pending;                 // bit i: index _blockStart + i is yet to be visited

    /// <summary>Scans <paramref name="values"/> from index <paramref name="from"/>.</summary>
    public ThresholdScan(ReadOnlySpan<float> values, float threshold, int from = 0, float ceiling = float.PositiveInfinity)
    {
        _values = ref MemoryMarshal.GetReference(values);
        _length = values.Length;
        _lastFullBlock = values.Length - Width;
        _threshold = Vector256.Create(threshold);
        _ceiling = Vector256.Create(ceiling);
        _blockStart = from - Width;
        Current = -1;
    }

    public float Threshold
    {
        readonly get => _threshold.ToScalar();
        set => _threshold = Vector256.Create(value);
    }

    public int Current { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MoveNext()
    {
        while (_pending == 0)
        {
            _blockStart += Width;
            if (_blockStart > _lastFullBlock)
                return _blockStart < _length && MoveIntoTail();
            var block = Vector256.LoadUnsafe(ref _values, (nuint)_blockStart);
            _pending = (Vector256.GreaterThanOrEqual(block, _threshold) & Vector256.LessThanOrEqual(block, _ceiling)).ExtractMostSignificantBits();
        }
        TakeLowestPending();
        return true;
    }

    private void TakeLowestPending()
    {
        Current = _blockStart + BitOperations.TrailingZeroCount(_pending);
        _pending &= _pending - 1;
    }

    /// <summary>The last, partial block: checked one value at a time, once.</summary>
    private bool MoveIntoTail()
    {
        float threshold = Threshold, ceiling = _ceiling.ToScalar();
        for (int i = _blockStart; i < _length; i++)
        {
            float value = Unsafe.Add(ref _values, i);
            if (value >= threshold && value <= ceiling)
                _pending |= 1u << (i - _blockStart);
        }
        if (_pending == 0)
        {
            _blockStart = _length;
            return false;
        }
        TakeLowestPending();
        return true;
    }
}
