using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Tessera.Server.Configuration;

/// <summary>Reads one YAML value as a setting's type; a value of the wrong type or out of range throws
/// <see cref="FormatException"/> with a message for the user (the parser adds the key and the line).</summary>
internal delegate T ReadValue<out T>(YamlNode node);

/// <summary>The value readers the config keys are declared with.</summary>
internal static class ConfigValues
{
    public static ReadValue<int> Integer(int min = 0, int max = int.MaxValue) => node =>
    {
        string text = Scalar(node, "a whole number");
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
            throw new FormatException($"'{text}' is not a whole number");
        if (value < min || value > max)
            throw new FormatException(max == int.MaxValue ? $"must be at least {min}, not {value}" : $"must be in {min}..{max}, not {value}");
        return value;
    };

    /// <summary>A count, or `auto` (read as -1): MoE hot experts per layer.</summary>
    public static ReadValue<int> CountOrAuto() => node =>
    {
        string text = Scalar(node, "a whole number or auto");
        if (text.Equals("auto", StringComparison.OrdinalIgnoreCase))
            return -1;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            throw new FormatException($"'{text}' is not a whole number or auto");
        return value;
    };

    /// <summary>A number in (<paramref name="above"/>, <paramref name="max"/>]: thresholds and seconds, which 0 makes meaningless.</summary>
    public static ReadValue<double> Number(double above, double max) => node =>
    {
        string text = Scalar(node, "a number");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new FormatException($"'{text}' is not a number");
        if (value <= above || value > max)
            throw new FormatException($"must be over {Show(above)} and at most {Show(max)}, not {Show(value)}");
        return value;
    };

    public static ReadValue<TimeSpan> Seconds(double max) => node => TimeSpan.FromSeconds(Number(0, max)(node));

    public static ReadValue<bool> Flag() => node => Scalar(node, "true or false").ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        var other => throw new FormatException($"'{other}' is not true or false"),
    };

    public static ReadValue<string> Text() => node =>
    {
        string text = Scalar(node, "a string");
        return text.Length > 0 ? text : throw new FormatException("must not be empty");
    };

    public static ReadValue<long> Bytes() => node =>
    {
        string text = Scalar(node, "a size");
        return ByteSize.TryParse(text, out long bytes) ? bytes : throw new FormatException($"'{text}' is not a size; write it like {ByteSize.Examples}");
    };

    public static ReadValue<T> Word<T>(IReadOnlyDictionary<string, T> words) => node =>
    {
        string text = Scalar(node, OptionWords.Choices(words));
        return words.TryGetValue(text, out var value) ? value : throw new FormatException($"'{text}' is not {OptionWords.Choices(words)}");
    };

    /// <summary>A list of strings; a single string is a list of one.</summary>
    public static ReadValue<string[]> TextList() => node => node switch
    {
        YamlSequenceNode sequence => sequence.Children.Select(Text().Invoke).ToArray(),
        YamlScalarNode => [Text()(node)],
        _ => throw new FormatException("expected a list of strings"),
    };

    /// <summary>Parses the value further with one of the runtime's own parsers (tensor overrides, layer counts), whose
    /// errors become the value's error.</summary>
    public static ReadValue<TResult> Then<T, TResult>(this ReadValue<T> read, Func<T, TResult> parse) => node =>
    {
        var value = read(node);
        try
        {
            return parse(value);
        }
        catch (Exception e) when (e is Runtime.Placement.PlacementException or ArgumentException)
        {
            throw new FormatException(e.Message);
        }
    };

    /// <summary>True for `key:`, `key: ~` and `key: null`: the setting keeps its default.</summary>
    public static bool IsNull(YamlNode node) => node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Scalar(YamlNode node, string expected) => node is YamlScalarNode scalar
        ? scalar.Value ?? ""
        : throw new FormatException($"expected {expected}, not a {(node is YamlSequenceNode ? "list" : "mapping")}");

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
