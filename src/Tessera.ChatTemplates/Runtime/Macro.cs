using Tessera.ChatTemplates.Syntax;
using Tessera.ChatTemplates.Values;

namespace Tessera.ChatTemplates.Runtime;

/// <summary>A macro (or the body of a call block, as <c>caller</c>) with the scope it was defined in.</summary>
internal sealed class Macro(MacroStmt definition, Scope closure, Macro? caller = null) : ICallable
{
    public MacroStmt Definition { get; } = definition;

    public string Name => Definition.Name;

    public Scope Closure { get; } = closure;

    /// <summary>The call block body passed as <c>caller</c>, if this macro was called from one.</summary>
    public Macro? Caller { get; } = caller;

    public Macro WithCaller(Macro caller) => new(Definition, Closure, caller);

    public object? Invoke(Evaluator evaluator, Arguments arguments) => evaluator.CallMacro(this, arguments);
}
