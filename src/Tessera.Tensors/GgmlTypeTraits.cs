namespace Tessera.Tensors;

/// <summary>
/// Storage facts for one <see cref="GgmlType"/>: elements are stored in blocks of
/// <see cref="BlockSize"/> values taking <see cref="BlockBytes"/> bytes.
/// </summary>
public readonly record struct GgmlTypeTraits(GgmlType Type, string Name, int BlockSize, int BlockBytes, bool IsQuantized)
{
    /// <summary>Super-block size of the K-quants and most i-quants.</summary>
    public const int QK_K = 256;

    private static readonly GgmlTypeTraits[] Table = BuildTable();

    /// <summary>Every type this build knows, ordered by id.</summary>
    public static IReadOnlyList<GgmlTypeTraits> All { get; } = Table.Where(t => t.BlockSize != 0).ToArray();

    public static bool IsKnown(uint id) => id < Table.Length && Table[id].BlockSize != 0;

    public static bool IsKnown(GgmlType type) => IsKnown((uint)type);

    /// <summary>Traits of a known type; throws <see cref="ArgumentOutOfRangeException"/> for an unknown id.</summary>
    public static GgmlTypeTraits Of(GgmlType type) =>
        IsKnown(type) ? Table[(uint)type] : throw new ArgumentOutOfRangeException(nameof(type), $"unknown ggml type id {(uint)type}");

    /// <summary>Looks a type up by its usual name (case-insensitive), e.g. "q4_k" or "F16".</summary>
    public static bool TryParse(string name, out GgmlType type)
    {
        foreach (var t in All)
        {
            if (string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                type = t.Type;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>Bytes taken by <paramref name="elementCount"/> elements; the count must be a whole number of blocks.</summary>
    public long BytesFor(long elementCount)
    {
        if (elementCount < 0 || elementCount % BlockSize != 0)
            throw new ArgumentException($"{elementCount} elements is not a whole number of {Name} blocks of {BlockSize}", nameof(elementCount));
        return checked(elementCount / BlockSize * BlockBytes);
    }

    public override string ToString() => Name;

    private static GgmlTypeTraits[] BuildTable()
    {
        var table = new GgmlTypeTraits[40];
        void Add(GgmlType t, int blockSize, int blockBytes, bool quantized) =>
            table[(uint)t] = new GgmlTypeTraits(t, t.ToString(), blockSize, blockBytes, quantized);

        Add(GgmlType.F32, 1, 4, false);
        Add(GgmlType.F16, 1, 2, false);
        Add(GgmlType.BF16, 1, 2, false);
        Add(GgmlType.F64, 1, 8, false);
        Add(GgmlType.I8, 1, 1, false);
        Add(GgmlType.I16, 1, 2, false);
        Add(GgmlType.I32, 1, 4, false);
        Add(GgmlType.I64, 1, 8, false);

        Add(GgmlType.Q4_0, 32, 2 + 16, true);           // d, 32 x 4-bit
        Add(GgmlType.Q4_1, 32, 2 + 2 + 16, true);       // d, m, 32 x 4-bit
        Add(GgmlType.Q5_0, 32, 2 + 4 + 16, true);       // d, high bits, 32 x 4-bit
        Add(GgmlType.Q5_1, 32, 2 + 2 + 4 + 16, true);   // d, m, high bits, 32 x 4-bit
        Add(GgmlType.Q8_0, 32, 2 + 32, true);           // d, 32 x int8
        Add(GgmlType.Q8_1, 32, 2 + 2 + 32, true);       // d, s = d * sum(q), 32 x int8
        Add(GgmlType.IQ4_NL, 32, 2 + 16, true);         // d, 32 x 4-bit index into a non-linear table
        Add(GgmlType.MXFP4, 32, 1 + 16, true);          // shared exponent, 32 x e2m1

        Add(GgmlType.Q2_K, QK_K, 16 + 64 + 2 + 2, true);
        Add(GgmlType.Q3_K, QK_K, 32 + 64 + 12 + 2, true);
        Add(GgmlType.Q4_K, QK_K, 2 + 2 + 12 + 128, true);
        Add(GgmlType.Q5_K, QK_K, 2 + 2 + 12 + 32 + 128, true);
        Add(GgmlType.Q6_K, QK_K, 128 + 64 + 16 + 2, true);
        Add(GgmlType.Q8_K, QK_K, 4 + 256 + 32, true);    // float d, 256 x int8, 16 x int16 block sums

        Add(GgmlType.IQ2_XXS, QK_K, 2 + 64, true);
        Add(GgmlType.IQ2_XS, QK_K, 2 + 64 + 8, true);
        Add(GgmlType.IQ3_XXS, QK_K, 2 + 96, true);
        Add(GgmlType.IQ1_S, QK_K, 2 + 32 + 16, true);
        Add(GgmlType.IQ3_S, QK_K, 2 + 64 + 8 + 32 + 4, true);
        Add(GgmlType.IQ2_S, QK_K, 2 + 64 + 8 + 8, true);
        Add(GgmlType.IQ4_XS, QK_K, 2 + 2 + 4 + 128, true);
        Add(GgmlType.IQ1_M, QK_K, 32 + 16 + 8, true);
        Add(GgmlType.TQ1_0, QK_K, 48 + 4 + 2, true);
        Add(GgmlType.TQ2_0, QK_K, 64 + 2, true);
        return table;
    }
}
