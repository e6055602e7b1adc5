namespace Tessera.ChatTemplates.Syntax;

/// <summary>Statement nodes of the template syntax tree.</summary>
internal abstract record Stmt(SourcePosition Position);

internal sealed record TextStmt(SourcePosition Position, string Text) : Stmt(Position);

/// <summary><c>{{ expr }}</c>.</summary>
internal sealed record OutputStmt(SourcePosition Position, Expr Value) : Stmt(Position);

internal sealed record IfStmt(SourcePosition Position, IReadOnlyList<(Expr Condition, IReadOnlyList<Stmt> Body)> Branches, IReadOnlyList<Stmt>? Else) : Stmt(Position);

/// <summary><c>{% for targets in iterable if filter %} body {% else %} empty {% endfor %}</c>.</summary>
internal sealed record ForStmt(
    SourcePosition Position,
    IReadOnlyList<string> Targets,
    Expr Iterable,
    Expr? Filter,
    IReadOnlyList<Stmt> Body,
    IReadOnlyList<Stmt>? Else) : Stmt(Position);

/// <summary>Where a <c>set</c> stores: one name, several names (unpacking), or <c>namespace.attribute</c>.</summary>
internal sealed record AssignTarget(IReadOnlyList<string> Names, string? Attribute)
{
    public bool IsNamespaceAttribute => Attribute is not null;
}

internal sealed record SetStmt(SourcePosition Position, AssignTarget Target, Expr Value) : Stmt(Position);

/// <summary><c>{% set name | filters %} body {% endset %}</c>: captures the body's output.</summary>
internal sealed record SetBlockStmt(SourcePosition Position, AssignTarget Target, IReadOnlyList<FilterCall> Filters, IReadOnlyList<Stmt> Body) : Stmt(Position);

/// <summary>A filter applied by a block (<c>filter</c>, <c>set</c>): name and arguments.</summary>
internal sealed record FilterCall(SourcePosition Position, string Name, ArgumentList Arguments);

internal sealed record MacroParameter(string Name, Expr? Default);

/// <summary>A macro accepts extra positional / keyword arguments only when its body reads <c>varargs</c> / <c>kwargs</c>.</summary>
internal sealed record MacroStmt(
    SourcePosition Position,
    string Name,
    IReadOnlyList<MacroParameter> Parameters,
    IReadOnlyList<Stmt> Body,
    bool TakesVarargs,
    bool TakesKwargs) : Stmt(Position);

/// <summary><c>{% call(params) macro(args) %} body {% endcall %}</c>: the body becomes <c>caller()</c>.</summary>
internal sealed record CallBlockStmt(SourcePosition Position, IReadOnlyList<MacroParameter> CallerParameters, CallExpr Call, IReadOnlyList<Stmt> Body) : Stmt(Position);

internal sealed record FilterBlockStmt(SourcePosition Position, IReadOnlyList<FilterCall> Filters, IReadOnlyList<Stmt> Body) : Stmt(Position);

internal sealed record BreakStmt(SourcePosition Position) : Stmt(Position);

internal sealed record ContinueStmt(SourcePosition Position) : Stmt(Position);
