namespace Tessera.ChatTemplates.Values;

/// <summary>
/// The value model: null (None), <see cref="Undefined"/>, bool, long, double, string, List (list),
/// object?[] (tuple), <see cref="TemplateDict"/>, <see cref="Namespace"/>, <see cref="RangeValue"/>,
/// <see cref="Runtime.LoopContext"/> and <see cref="ICallable"/>. Here: Python type names and categories.
/// </summary>
internal static class PythonTypes
{
    public static string NameOf(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        TemplateDict => "dict",
        Namespace => "Namespace",
        RangeValue => "range",
        Runtime.LoopContext => "LoopContext",
        ICallable => "function",
        _ => value.GetType().Name,
    };

    /// <summary>bool counts as a number, as in Python.</summary>
    public static bool IsNumber(object? value) => value is bool or long or double;

    public static bool IsInteger(object? value) => value is long;

    /// <summary>Jinja's test: has a length and items. Its Undefined passes, so ours does too.</summary>
    public static bool IsSequence(object? value) => value is string or List<object?> or object?[] or TemplateDict or RangeValue or Undefined;

    public static bool IsIterable(object? value) => IsSequence(value);
}
