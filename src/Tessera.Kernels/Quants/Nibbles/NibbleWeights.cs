using System.Runtime.Intrinsics;

namespace Tessera.Kernels.Quants.Nibbles;

/// <summary>
/// A register of 4-bit weights as the octet dot's products take them (<see cref="INibbleLevels.Prepare"/>): the
/// unsigned operand of vpmaddubsw, and where the levels are signed, the signed levels of the sign trick. Q4_0 leaves
/// <see cref="Signs"/> unset and takes its nibbles as they are; IQ4_NL leaves <see cref="Unsigned"/> unset, its levels
/// taking the activations' signs against the activations' magnitudes.
/// </summary>
internal readonly struct NibbleWeights(Vector256<byte> unsigned, Vector256<sbyte> signs = default)
{
    public Vector256<byte> Unsigned { get; } = unsigned;
    public Vector256<sbyte> Signs { get; } = signs;
}
