using System.Text.RegularExpressions;

namespace Tessera.Runtime.Placement;

/// <summary>
/// `PATTERN=DEVICE`: tensors whose name matches the regular expression (searched, as in llama.cpp's
/// `--override-tensor`) go to DEVICE. Placement is per sub-block (a layer's attention, its feed-forward, the output
/// head), so a match moves the whole sub-block holding the tensor; the first matching rule wins.
/// </summary>
public sealed record TensorOverride(Regex Pattern, string Device)
{
    /// <summary>One `PATTERN=DEVICE` or several separated by commas.</summary>
    public static IReadOnlyList<TensorOverride> Parse(string text)
    {
        var rules = new List<TensorOverride>();
        foreach (var rule in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = rule.LastIndexOf('=');
            if (equals <= 0 || equals == rule.Length - 1)
                throw new PlacementException($"--override-tensor '{rule}' is not PATTERN=DEVICE");
            try
            {
                rules.Add(new TensorOverride(new Regex(rule[..equals], RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), rule[(equals + 1)..]));
            }
            catch (ArgumentException e)
            {
                throw new PlacementException($"--override-tensor '{rule}': the pattern is not a valid regular expression ({e.Message})");
            }
        }
        return rules;
    }

    public override string ToString() => $"{Pattern}={Device}";
}
