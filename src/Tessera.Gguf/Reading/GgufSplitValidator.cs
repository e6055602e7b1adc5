namespace Tessera.Gguf.Reading;

/// <summary>
/// Checks that the parts of a model agree: part i has split.no = i (0-based), every part has
/// split.count = number of parts, and split.tensors.count = the tensors of all parts together.
/// A single file may carry the keys too (split.count 1) but need not.
/// </summary>
internal static class GgufSplitValidator
{
    public static void Validate(IReadOnlyList<GgufPart> parts, bool hasSplitName)
    {
        if (parts.Count == 1 && !parts[0].Header.Metadata.ContainsKey(GgufKeys.SplitCount))
            return; // an ordinary single file

        // Numbering first: a part from another split is reported as such, not as a tensor total mismatch.
        for (var i = 0; i < parts.Count; i++)
        {
            var count = Require(parts[i], GgufKeys.SplitCount);
            if (count != parts.Count)
            {
                var reason = parts.Count == 1 && !hasSplitName
                    ? "but the file name does not follow PREFIX-00001-of-NNNNN.gguf, so the other parts cannot be found"
                    : $"but the model has {parts.Count} part(s)";
                throw Error(parts[i], GgufKeys.SplitCount, $"is {count} {reason}");
            }
            var number = Require(parts[i], GgufKeys.SplitNo);
            if (number != i)
                throw Error(parts[i], GgufKeys.SplitNo, $"is {number} but this is part {i} (0-based) of {parts.Count}");
        }

        var totalTensors = parts.Sum(p => (long)p.Header.Tensors.Length);
        foreach (var part in parts)
        {
            var tensors = Require(part, GgufKeys.SplitTensorsCount);
            if (tensors != totalTensors)
                throw Error(part, GgufKeys.SplitTensorsCount, $"is {tensors} but the parts hold {totalTensors} tensors");
        }
    }

    private static long Require(GgufPart part, string key)
    {
        var entry = part.Header.Metadata.Find(key)
            ?? throw new GgufFormatException(key, -1, $"{part.Source}: metadata '{key}' is missing from a split part");
        if (!GgufValueTypes.IsInteger(entry.Type))
            throw Error(part, key, $"is {entry.TypeName}, expected an integer");
        return part.Header.Metadata.GetInteger(key);
    }

    private static GgufFormatException Error(GgufPart part, string key, string problem)
    {
        var offset = part.Header.Metadata.Find(key)?.Offset ?? 0;
        return new GgufFormatException(key, offset, $"{part.Source}: metadata '{key}' {problem}");
    }
}
