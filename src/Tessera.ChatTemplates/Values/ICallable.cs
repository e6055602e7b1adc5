using Tessera.ChatTemplates.Runtime;

namespace Tessera.ChatTemplates.Values;

/// <summary>Anything a template may call: macros, global functions, bound methods of strings, lists and dicts.</summary>
internal interface ICallable
{
    string Name { get; }

    object? Invoke(Evaluator evaluator, Arguments arguments);
}

/// <summary>A built-in function or a method bound to its receiver.</summary>
internal sealed class NativeFunction(string name, Func<Evaluator, Arguments, object?> body) : ICallable
{
    public string Name { get; } = name;

    public object? Invoke(Evaluator evaluator, Arguments arguments) => body(evaluator, arguments);
}
