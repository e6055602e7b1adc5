namespace Tessera.Runtime.Grammars;

/// <summary>A set of byte values (256 bits): what one grammar element accepts as the next byte.</summary>
public readonly struct ByteSet : IEquatable<ByteSet>
{
    private readonly ulong _a, _b, _c, _d;

    private ByteSet(ulong a, ulong b, ulong c, ulong d) => (_a, _b, _c, _d) = (a, b, c, d);

    public static ByteSet Range(int low, int high)
    {
        ulong a = 0, b = 0, c = 0, d = 0;
        for (int value = low; value <= high; value++)
        {
            ulong bit = 1UL << (value & 63);
            switch (value >> 6)
            {
                case 0: a |= bit; break;
                case 1: b |= bit; break;
                case 2: c |= bit; break;
                default: d |= bit; break;
            }
        }
        return new ByteSet(a, b, c, d);
    }

    public static ByteSet Single(int value) => Range(value, value);

    public ByteSet Union(ByteSet other) => new(_a | other._a, _b | other._b, _c | other._c, _d | other._d);

    public bool Contains(byte value) => ((value >> 6) switch { 0 => _a, 1 => _b, 2 => _c, _ => _d } >> (value & 63) & 1) != 0;

    public bool IsEmpty => (_a | _b | _c | _d) == 0;

    public bool Equals(ByteSet other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is ByteSet other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);
}
