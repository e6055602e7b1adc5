using System.Globalization;
using System.Text.RegularExpressions;

namespace Tessera.Gguf;

/// <summary>
/// File names of split models: PREFIX-00001-of-00003.gguf, parts numbered from 1 with five digits.
/// </summary>
public static partial class GgufSplitName
{
    /// <summary>Split counts are stored as uint16.</summary>
    public const int MaxParts = ushort.MaxValue;

    /// <summary>The path of part <paramref name="partNumber"/> (1-based) of <paramref name="partCount"/>.</summary>
    public static string Format(string pathPrefix, int partNumber, int partCount) =>
        string.Create(CultureInfo.InvariantCulture, $"{pathPrefix}-{partNumber:D5}-of-{partCount:D5}.gguf");

    /// <summary>Recognises a split part path, giving its prefix, 1-based number and the part count.</summary>
    public static bool TryParse(string path, out string pathPrefix, out int partNumber, out int partCount)
    {
        var match = SplitPattern().Match(path);
        if (match.Success)
        {
            pathPrefix = match.Groups[1].Value;
            partNumber = int.Parse(match.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
            partCount = int.Parse(match.Groups[3].ValueSpan, CultureInfo.InvariantCulture);
            if (partNumber >= 1 && partCount <= MaxParts && partNumber <= partCount)
                return true;
        }
        pathPrefix = string.Empty;
        partNumber = partCount = 0;
        return false;
    }

    [GeneratedRegex(@"^(.+)-(\d{5})-of-(\d{5})\.gguf$", RegexOptions.CultureInvariant)]
    private static partial Regex SplitPattern();
}
