using System.Runtime.CompilerServices;

namespace Tessera.Kernels.Quants;

/// <summary>
/// How many tokens a many-token kernel takes per call, as a type argument: the JIT compiles one copy per count with
/// the count a constant, so the code for tokens past it is left out (<see cref="FloatRowPairKernel{TRows}"/>: 8 or 4;
/// the K-quants' many-token dots: 3 or 4; the octet dot's and Q8_0's: 2, 3 or 4; BF16's: 2 or 3).
/// </summary>
internal interface ITokenCount
{
    static abstract int Count { get; }
}

internal readonly struct EightTokens : ITokenCount
{
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 8;
    }
}

internal readonly struct FourTokens : ITokenCount
{
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 4;
    }
}

internal readonly struct ThreeTokens : ITokenCount
{
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 3;
    }
}

internal readonly struct TwoTokens : ITokenCount
{
    public static int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2;
    }
}
